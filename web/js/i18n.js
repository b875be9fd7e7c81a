// Labels in French (default) and English, and locale-aware formatting.
// Every visible string of the app goes through t() so that the language
// switch re-renders the page in the other language.

const DICT = {
    fr: {
        app_title: 'noshow — rendez-vous à risque',
        skip: 'Aller au contenu',
        nav_predict: 'Prédiction en temps réel',
        nav_batch: 'Classification en masse',
        nav_auto: 'Système automatique',
        nav_dash: 'Tableaux de bord',
        nav_model: 'Modèle',
        lang_switch: 'English',
        lang_switch_label: 'Switch to English',
        logout: 'Se déconnecter',
        role: 'Rôle : {role}',
        login_title: 'Connexion',
        login_intro: 'Saisissez la clé d’API qui vous a été remise.',
        api_key: 'Clé d’API',
        login: 'Se connecter',
        login_failed: 'Connexion refusée : {detail}',
        loading: 'Chargement…',
        no_model: 'Aucun modèle chargé : le calcul du risque est ' +
            'indisponible ({detail}).',
        error: 'Erreur : {detail}',
        yes: 'Oui',
        no: 'Non',
        choose: '— choisir —',
        predict_title: 'Prédiction en temps réel',
        predict_intro: 'Renseignez le rendez-vous : le risque d’absence ' +
            'est calculé sans rien enregistrer.',
        predict_submit: 'Calculer le risque',
        book_submit: 'Enregistrer le rendez-vous',
        booked: 'Rendez-vous enregistré (n° {id}).',
        probability: 'Probabilité d’absence',
        band: 'Niveau de risque',
        band_low: 'faible',
        band_medium: 'moyen',
        band_high: 'élevé',
        decision_yes: 'Au-dessus du seuil ({threshold}) : à relancer',
        decision_no: 'Sous le seuil ({threshold})',
        reasons: 'Raisons (contributions SHAP)',
        reasons_caption: 'En rouge ce qui augmente le risque, en bleu ce ' +
            'qui le diminue.',
        unknown_categories: 'Valeurs inconnues du modèle : {list}',
        unknown_count: '{n} valeur(s) inconnue(s) du modèle : le score ' +
            'les traite comme « autre ».',
        model_version: 'Modèle {version}',
        fix_fields: 'Corrigez les champs signalés.',
        required: 'Champ obligatoire.',
        range: 'Valeur attendue entre {min} et {max}.',
        min_only: 'Valeur attendue d’au moins {min}.',
        max_only: 'Valeur attendue d’au plus {max}.',
        integer: 'Nombre entier attendu.',
        number: 'Nombre attendu.',
        category: 'Valeur attendue parmi : {list}.',
        bad_date: 'Date attendue (AAAA-MM-JJ).',
        bad_time: 'Heure attendue (HH:MM).',
        bad_binary: 'Oui/non attendu (0/1, yes/no).',
        expected: 'Attendu : {expected}.',
        got_expected: 'Reçu {value} ; attendu : {expected}.',
        batch_title: 'Classification en masse (CSV)',
        batch_intro: 'Déposez un fichier CSV ou parcourez vos fichiers. ' +
            'Le fichier est lu dans le navigateur.',
        drop_here: 'Déposez le fichier CSV ici',
        browse: 'Parcourir…',
        file_label: 'Fichier CSV',
        rows_read: '{n} lignes lues dans {file}.',
        rows_bad: '{n} lignes comportent des erreurs :',
        line_reason: 'ligne {line} : {reason}',
        score_good: 'Classer les {n} lignes valides',
        scoring: 'Classement : {done} / {total}',
        scored: '{n} lignes classées.',
        filter: 'Filtrer',
        filter_band: 'Niveau',
        all: 'tous',
        download_csv: 'Télécharger CSV',
        download_xlsx: 'Télécharger XLSX',
        sort_by: 'Trier par {col}',
        line: 'Ligne',
        no_rows: 'Aucune ligne.',
        missing_columns: 'Colonnes obligatoires absentes : {list}',
        auto_title: 'Système automatique',
        auto_intro: 'Rendez-vous en attente, du plus risqué au moins ' +
            'risqué. Actualisé toutes les {s} s.',
        from: 'Du',
        to: 'Au',
        specialty: 'Spécialité',
        status: 'Statut',
        apply: 'Appliquer',
        select: 'Sélectionner',
        select_all: 'Tout sélectionner',
        notify: 'Notifier',
        notify_selected: 'Notifier la sélection ({n})',
        notify_above: 'Notifier tous au-dessus de',
        threshold: 'Seuil',
        notified: '{n} patient(s) notifié(s).',
        message: 'Message',
        default_message: 'Rappel : vous avez rendez-vous le {date}. ' +
            'Merci de confirmer votre venue.',
        outcome: 'Résultat',
        record_outcome: 'Enregistrer',
        outcome_saved: 'Résultat enregistré.',
        appointment: 'Rendez-vous',
        reference: 'Référence',
        date: 'Date',
        risk: 'Risque',
        actions: 'Actions',
        events: 'Historique',
        details: 'Détails',
        close: 'Fermer',
        last_update: 'Mis à jour à {time}',
        none_pending: 'Aucun rendez-vous en attente.',
        st_pending: 'en attente',
        deliv_pending: 'envoi en attente',
        deliv_delivering: 'envoi en cours',
        deliv_delivered: 'envoyé',
        deliv_failed: 'échec de l’envoi',
        st_pending_confirmation: 'attente de confirmation',
        st_confirmed: 'confirmé',
        st_honored: 'honoré',
        st_cancelled: 'annulé',
        st_no_show: 'absent',
        dash_title: 'Tableaux de bord',
        dash_intro: 'Calculés sur {n} rendez-vous enregistrés.',
        by_specialty: 'Rendez-vous par spécialité',
        by_area: 'Rendez-vous par secteur',
        status_dist: 'Répartition des statuts',
        age_hist: 'Histogramme des âges',
        rate_time: 'Taux d’absence par semaine',
        rate_lead: 'Taux d’absence selon le délai (jours)',
        count: 'Nombre',
        rate: 'Taux d’absence',
        no_data: 'Pas de données pour ce graphique.',
        not_in_schema: 'La colonne « {what} » n’existe pas dans ce schéma.',
        model_title: 'Modèle',
        version: 'Version',
        created: 'Créé le',
        schema_name: 'Schéma',
        threshold_in_force: 'Seuil en vigueur',
        rule: 'règle',
        bands: 'Niveaux de risque',
        bands_text: 'faible sous {lo}, moyen de {lo} à {hi}, élevé à ' +
            'partir de {hi}',
        metrics: 'Métriques',
        metric: 'Métrique',
        value: 'Valeur',
        roc: 'Courbe ROC',
        pr: 'Précision-rappel',
        calibration: 'Calibration',
        importance: 'Importance globale',
        mon_title: 'Suivi sur les issues réelles',
        mon_performance: 'Performance par version et par semaine',
        mon_week: 'Semaine',
        mon_all_weeks: 'toutes',
        mon_rows: 'Rendez-vous',
        mon_auc: 'ROC AUC',
        mon_brier: 'Brier',
        mon_observed: 'Taux observé',
        mon_predicted: 'Taux prédit',
        mon_no_outcomes: 'Aucune issue enregistrée pour un rendez-vous ' +
            'prédit.',
        mon_drift: 'Dérive des entrées (modèle servi)',
        mon_drift_intro: '{n} demandes notées depuis le chargement ; ' +
            'alerte au-dessus d’un PSI de {warn}, calculé à partir de ' +
            '{min} demandes.',
        mon_drift_warn: 'Dérive : {names}. Le modèle voit une population ' +
            'différente de celle de son entraînement.',
        mon_input: 'Entrée',
        mon_state: 'État',
        mon_stable: 'stable',
        mon_drifting: 'dérive',
        mon_too_few: 'trop peu de demandes',
        mon_failed: 'Suivi indisponible : {detail}',
        fpr: 'Taux de faux positifs',
        tpr: 'Taux de vrais positifs',
        recall: 'Rappel',
        precision: 'Précision',
        predicted: 'Probabilité prédite',
        observed: 'Fréquence observée',
        ideal: 'Idéal',
        feature: 'Variable',
        no_reasons: 'Pas de raisons fournies.',
        week_of: 'sem. du {date}',
        reader_no_notify: 'Lecture seule : les notifications sont ' +
            'réservées au rôle clinique.',
        reader_no_predict: 'Lecture seule : le calcul du risque est ' +
            'réservé au rôle clinique.',
        nav_reminders: 'Rappels du jour',
        nav_overbooking: 'Surréservation',
        rem_title: 'Rappels du jour',
        rem_intro: 'La liste du jour des rendez-vous à relancer : ceux ' +
            'déjà retenus gardent leur place et leur statut, les places ' +
            'restantes vont aux rendez-vous en attente par gain attendu ' +
            'décroissant, dans la limite des appels possibles. Statuts ' +
            'actualisés toutes les {s} s.',
        capacity: 'Appels possibles',
        show_list: 'Afficher la liste',
        rem_summary: '{n} rendez-vous retenus ({kept} déjà retenus ' +
            'auparavant), dont {control} témoin(s) ; ' +
            'seuil {thr}, capacité {cap}. {skipped} patient(s) déjà ' +
            'contacté(s) dans les {days} derniers jours écarté(s).',
        rem_none: 'Aucun rendez-vous à relancer pour ce jour.',
        rank: 'Rang',
        gain: 'Gain attendu',
        group: 'Groupe',
        group_act: 'à relancer',
        group_control: 'témoin',
        control_no_call: 'pas de rappel (témoin)',
        notify_all_shown: 'Notifier toutes les lignes affichées ({n})',
        control_why_title: 'Pourquoi des rendez-vous « témoins » ?',
        control_why: 'Une petite part des rendez-vous retenus, tirée au ' +
            'hasard, ne reçoit volontairement aucun rappel. En comparant ' +
            'leur taux d’absence à celui des rendez-vous relancés, on ' +
            'mesure ce que les rappels changent vraiment, au lieu de le ' +
            'supposer. Ne les relancez pas : cela fausserait la mesure.',
        reader_no_actions: 'Lecture seule : la liste des rappels est ' +
            'réservée au rôle clinique (elle enregistre les groupes).',
        effect_title: 'Effet des rappels',
        effect_intro: 'Rendez-vous déjà listés dont l’issue est connue : ' +
            'taux d’absence des relancés et des témoins.',
        effect_group: 'Groupe',
        effect_with_outcome: 'Avec issue connue',
        effect_noshows: 'Absents',
        effect_diff: 'Différence (témoins moins relancés) : {d} ; ' +
            'intervalle de confiance à 95 % : de {lo} à {hi}.',
        points: '{n} points',
        effect_none: 'Pas encore assez de résultats : il faut des ' +
            'rendez-vous relancés et témoins dont l’issue est connue.',
        effect_fewer: 'Les relancés manquent moins souvent que les ' +
            'témoins, et l’écart se distingue de zéro : l’intervalle à ' +
            '95 % ne contient pas 0.',
        effect_more: 'Les relancés manquent plus souvent que les témoins, ' +
            'et l’écart se distingue de zéro : l’intervalle à 95 % ne ' +
            'contient pas 0.',
        effect_unclear: 'On ne peut pas encore distinguer l’écart de zéro : ' +
            'l’intervalle à 95 % contient 0. Il faut davantage de résultats.',
        ob_title: 'Surréservation',
        ob_intro: 'Pour une séance, le nombre de rendez-vous ' +
            'supplémentaires qui garde la probabilité d’avoir plus de ' +
            'patients que de créneaux sous le risque choisi.',
        ob_slots: 'Créneaux',
        ob_risk: 'Risque de débordement accepté (%)',
        ob_go: 'Calculer',
        ob_none: 'Aucun rendez-vous réservé pour cette séance.',
        ob_advice: 'Rendez-vous supplémentaires conseillés',
        effect_acted: 'relancés',
        effect_control: 'témoins',
        ob_advice_text: 'Avec {n} rendez-vous de plus sur {slots} ' +
            'créneaux, la probabilité d’avoir plus de patients que de ' +
            'créneaux est de {p} (limite choisie : {risk}). Chaque ' +
            'rendez-vous ajouté est supposé venir avec une probabilité ' +
            'de {show}.',
        ob_unscored: '{n} rendez-vous sans score ne sont pas comptés : ' +
            'leur créneau est traité comme libre.',
        ob_what: 'Séance',
        ob_now: 'Maintenant',
        ob_with_extra: 'Avec +{n}',
        ob_booked: 'Rendez-vous réservés',
        ob_expected: 'Patients attendus',
        ob_idle: 'Créneaux vides attendus',
        ob_overflow: 'Risque de débordement',
        ob_dist_title: 'Nombre de patients qui viennent',
        ob_dist_desc: 'Probabilité de chaque nombre de patients ; la ' +
            'ligne marque les {slots} créneaux. Avec {n} rendez-vous, ' +
            'probabilité de dépasser : {p}.',
        ob_before: 'Maintenant',
        ob_after: 'Avec +{n} (rouge : débordement)',
        ob_patients: 'Patients qui viennent',
        ob_slots_mark: '{n} créneaux',
        probability_short: 'Probabilité',
    },
    en: {
        app_title: 'noshow — appointments at risk',
        skip: 'Skip to content',
        nav_predict: 'Real-time prediction',
        nav_batch: 'Batch classification',
        nav_auto: 'Automatic system',
        nav_dash: 'Dashboards',
        nav_model: 'Model',
        lang_switch: 'Français',
        lang_switch_label: 'Passer en français',
        logout: 'Log out',
        role: 'Role: {role}',
        login_title: 'Log in',
        login_intro: 'Enter the API key you were given.',
        api_key: 'API key',
        login: 'Log in',
        login_failed: 'Login refused: {detail}',
        loading: 'Loading…',
        no_model: 'No model loaded: scoring is unavailable ({detail}).',
        error: 'Error: {detail}',
        yes: 'Yes',
        no: 'No',
        choose: '— choose —',
        predict_title: 'Real-time prediction',
        predict_intro: 'Describe the appointment: the no-show risk is ' +
            'computed without storing anything.',
        predict_submit: 'Compute the risk',
        book_submit: 'Book the appointment',
        booked: 'Appointment booked (no. {id}).',
        probability: 'No-show probability',
        band: 'Risk band',
        band_low: 'low',
        band_medium: 'medium',
        band_high: 'high',
        decision_yes: 'Above the threshold ({threshold}): remind',
        decision_no: 'Below the threshold ({threshold})',
        reasons: 'Reasons (SHAP contributions)',
        reasons_caption: 'Red raises the risk, blue lowers it.',
        unknown_categories: 'Values the model has not seen: {list}',
        unknown_count: '{n} value(s) the model has not seen: scored as ' +
            '"other".',
        model_version: 'Model {version}',
        fix_fields: 'Please correct the fields marked.',
        required: 'Required field.',
        range: 'Expected a value between {min} and {max}.',
        min_only: 'Expected at least {min}.',
        max_only: 'Expected at most {max}.',
        integer: 'Expected a whole number.',
        number: 'Expected a number.',
        category: 'Expected one of: {list}.',
        bad_date: 'Expected a date (YYYY-MM-DD).',
        bad_time: 'Expected a time (HH:MM).',
        bad_binary: 'Expected yes/no (0/1, yes/no).',
        expected: 'Expected {expected}.',
        got_expected: 'Got {value}; expected {expected}.',
        batch_title: 'Batch classification (CSV)',
        batch_intro: 'Drop a CSV file or browse for one. The file is read ' +
            'in the browser.',
        drop_here: 'Drop the CSV file here',
        browse: 'Browse…',
        file_label: 'CSV file',
        rows_read: '{n} rows read from {file}.',
        rows_bad: '{n} rows have errors:',
        line_reason: 'line {line}: {reason}',
        score_good: 'Classify the {n} valid rows',
        scoring: 'Classifying: {done} / {total}',
        scored: '{n} rows classified.',
        filter: 'Filter',
        filter_band: 'Band',
        all: 'all',
        download_csv: 'Download CSV',
        download_xlsx: 'Download XLSX',
        sort_by: 'Sort by {col}',
        line: 'Line',
        no_rows: 'No rows.',
        missing_columns: 'Required columns missing: {list}',
        auto_title: 'Automatic system',
        auto_intro: 'Pending appointments, riskiest first. Refreshed every ' +
            '{s} s.',
        from: 'From',
        to: 'To',
        specialty: 'Specialty',
        status: 'Status',
        apply: 'Apply',
        select: 'Select',
        select_all: 'Select all',
        notify: 'Notify',
        notify_selected: 'Notify selection ({n})',
        notify_above: 'Notify all above',
        threshold: 'Threshold',
        notified: '{n} patient(s) notified.',
        message: 'Message',
        default_message: 'Reminder: you have an appointment on {date}. ' +
            'Please confirm you will come.',
        outcome: 'Outcome',
        record_outcome: 'Record',
        outcome_saved: 'Outcome recorded.',
        appointment: 'Appointment',
        reference: 'Reference',
        date: 'Date',
        risk: 'Risk',
        actions: 'Actions',
        events: 'History',
        details: 'Details',
        close: 'Close',
        last_update: 'Updated at {time}',
        none_pending: 'No pending appointment.',
        st_pending: 'pending',
        deliv_pending: 'sending queued',
        deliv_delivering: 'sending',
        deliv_delivered: 'delivered',
        deliv_failed: 'delivery failed',
        st_pending_confirmation: 'awaiting confirmation',
        st_confirmed: 'confirmed',
        st_honored: 'honored',
        st_cancelled: 'cancelled',
        st_no_show: 'no-show',
        dash_title: 'Dashboards',
        dash_intro: 'Computed over {n} stored appointments.',
        by_specialty: 'Appointments by specialty',
        by_area: 'Appointments by area',
        status_dist: 'Status distribution',
        age_hist: 'Age histogram',
        rate_time: 'No-show rate by week',
        rate_lead: 'No-show rate by lead time (days)',
        count: 'Count',
        rate: 'No-show rate',
        no_data: 'No data for this chart.',
        not_in_schema: 'This schema has no “{what}” column.',
        model_title: 'Model',
        version: 'Version',
        created: 'Created',
        schema_name: 'Schema',
        threshold_in_force: 'Threshold in force',
        rule: 'rule',
        bands: 'Risk bands',
        bands_text: 'low below {lo}, medium from {lo} to {hi}, high from ' +
            '{hi}',
        metrics: 'Metrics',
        metric: 'Metric',
        value: 'Value',
        roc: 'ROC curve',
        pr: 'Precision-recall',
        calibration: 'Calibration',
        importance: 'Global importance',
        mon_title: 'Monitoring on real outcomes',
        mon_performance: 'Performance per version and week',
        mon_week: 'Week',
        mon_all_weeks: 'all',
        mon_rows: 'Appointments',
        mon_auc: 'ROC AUC',
        mon_brier: 'Brier',
        mon_observed: 'Observed rate',
        mon_predicted: 'Predicted rate',
        mon_no_outcomes: 'No outcome recorded yet for a scored ' +
            'appointment.',
        mon_drift: 'Input drift (serving model)',
        mon_drift_intro: '{n} requests scored since the model was ' +
            'loaded; warning above a PSI of {warn}, computed from {min} ' +
            'requests.',
        mon_drift_warn: 'Drift: {names}. The model sees a population ' +
            'unlike its training data.',
        mon_input: 'Input',
        mon_state: 'State',
        mon_stable: 'stable',
        mon_drifting: 'drifting',
        mon_too_few: 'too few requests',
        mon_failed: 'Monitoring unavailable: {detail}',
        fpr: 'False positive rate',
        tpr: 'True positive rate',
        recall: 'Recall',
        precision: 'Precision',
        predicted: 'Predicted probability',
        observed: 'Observed frequency',
        ideal: 'Ideal',
        feature: 'Feature',
        no_reasons: 'No reasons given.',
        week_of: 'week of {date}',
        reader_no_notify: 'Read only: notifications need the clinic role.',
        reader_no_predict: 'Read only: scoring needs the clinic role.',
        nav_reminders: 'Today’s reminders',
        nav_overbooking: 'Overbooking',
        rem_title: 'Today’s reminders',
        rem_intro: 'The day’s list of appointments worth a reminder: ' +
            'those listed before keep their place and status, the places ' +
            'left go to pending appointments by expected gain, up to the ' +
            'calls staff can make. Statuses refreshed every {s} s.',
        capacity: 'Calls possible',
        show_list: 'Show the list',
        rem_summary: '{n} appointments listed ({kept} kept from before), ' +
            '{control} of them control; ' +
            'threshold {thr}, capacity {cap}. {skipped} patient(s) ' +
            'contacted within the last {days} days left off.',
        rem_none: 'No appointment to remind on this day.',
        rank: 'Rank',
        gain: 'Expected gain',
        group: 'Group',
        group_act: 'remind',
        group_control: 'control',
        control_no_call: 'no reminder (control)',
        notify_all_shown: 'Notify all rows shown ({n})',
        control_why_title: 'Why “control” appointments?',
        control_why: 'A small share of the listed appointments, drawn at ' +
            'random, gets no reminder on purpose. Comparing their no-show ' +
            'rate with that of the reminded ones measures what reminders ' +
            'really change instead of assuming it. Do not remind them: ' +
            'that would spoil the measure.',
        reader_no_actions: 'Read only: the reminder list needs the clinic ' +
            'role (it records the groups).',
        effect_title: 'Reminder effect',
        effect_intro: 'Appointments already listed whose outcome is ' +
            'known: no-show rate of the reminded and of the control ones.',
        effect_group: 'Group',
        effect_with_outcome: 'With an outcome',
        effect_noshows: 'No-shows',
        effect_diff: 'Difference (control minus reminded): {d}; 95% ' +
            'confidence interval: {lo} to {hi}.',
        points: '{n} points',
        effect_none: 'Not enough results yet: this needs reminded and ' +
            'control appointments with a known outcome.',
        effect_fewer: 'Reminded patients miss less often than control ' +
            'ones, and the difference is distinguishable from zero: the ' +
            '95% interval does not contain 0.',
        effect_more: 'Reminded patients miss more often than control ones, ' +
            'and the difference is distinguishable from zero: the 95% ' +
            'interval does not contain 0.',
        effect_unclear: 'The difference cannot be told apart from zero yet: ' +
            'the 95% interval contains 0. More results are needed.',
        ob_title: 'Overbooking',
        ob_intro: 'For one session, the number of extra bookings that ' +
            'keeps the chance of more patients than slots under the ' +
            'chosen risk.',
        ob_slots: 'Slots',
        ob_risk: 'Accepted overflow risk (%)',
        ob_go: 'Compute',
        ob_none: 'No appointment booked in this session.',
        ob_advice: 'Extra bookings advised',
        effect_acted: 'reminded',
        effect_control: 'control',
        ob_advice_text: 'With {n} more bookings on {slots} slots, the ' +
            'chance of more patients than slots is {p} (limit chosen: ' +
            '{risk}). Each extra booking is assumed to come with ' +
            'probability {show}.',
        ob_unscored: '{n} appointments without a score are not counted: ' +
            'their slot is treated as free.',
        ob_what: 'Session',
        ob_now: 'Now',
        ob_with_extra: 'With +{n}',
        ob_booked: 'Appointments booked',
        ob_expected: 'Patients expected',
        ob_idle: 'Idle slots expected',
        ob_overflow: 'Overflow risk',
        ob_dist_title: 'Number of patients who come',
        ob_dist_desc: 'Probability of each number of patients; the line ' +
            'marks the {slots} slots. With {n} bookings, chance of going ' +
            'over: {p}.',
        ob_before: 'Now',
        ob_after: 'With +{n} (red: overflow)',
        ob_patients: 'Patients who come',
        ob_slots_mark: '{n} slots',
        probability_short: 'Probability',
    },
};

const LOCALES = { fr: 'fr-FR', en: 'en-GB' };
let lang = localStorage.getItem('noshow.lang') === 'en' ? 'en' : 'fr';

export function getLang() {
    return lang;
}

// The BCP 47 locale of the chosen language, for Intl and Chart.js.
export function intlLocale() {
    return LOCALES[lang];
}

export function setLang(l) {
    lang = l === 'en' ? 'en' : 'fr';
    localStorage.setItem('noshow.lang', lang);
    document.documentElement.lang = lang;
}

export function t(key, params = {}) {
    const s = DICT[lang][key] ?? DICT.fr[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (m, k) =>
        params[k] === undefined ? m : String(params[k]));
}

export function fmtNumber(x, digits = 2) {
    if (x === null || x === undefined || Number.isNaN(Number(x))) {
        return '—';
    }
    return new Intl.NumberFormat(LOCALES[lang], {
        maximumFractionDigits: digits,
    }).format(Number(x));
}

export function fmtPercent(p, digits = 1) {
    if (p === null || p === undefined || Number.isNaN(Number(p))) {
        return '—';
    }
    return new Intl.NumberFormat(LOCALES[lang], {
        style: 'percent',
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
    }).format(Number(p));
}

// Dates from the API are ISO strings in UTC; a date alone stays a date.
// withTime 'auto' shows the time only when there is one besides midnight.
export function fmtDate(iso, withTime = false) {
    if (!iso) {
        return '—';
    }
    if (withTime === 'auto') {
        withTime = /T(?!00:00(:00)?(\.0+)?(Z|[+-]00:?00)?$)/.test(iso);
    }
    const d = new Date(iso.length === 10 ? iso + 'T00:00:00Z' : iso);
    if (Number.isNaN(d.getTime())) {
        return iso;
    }
    const opts = { year: 'numeric', month: 'short', day: 'numeric',
        timeZone: 'UTC' };
    if (withTime) {
        opts.hour = '2-digit';
        opts.minute = '2-digit';
    }
    return new Intl.DateTimeFormat(LOCALES[lang], opts).format(d);
}

export function fmtClock(d) {
    return new Intl.DateTimeFormat(LOCALES[lang], {
        hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).format(d);
}

export function statusLabel(s) {
    const key = 'st_' + s;
    return DICT[lang][key] ? t(key) : s;
}

// A reminder's delivery state (pending, delivering, delivered, failed).
export function deliveryLabel(s) {
    const key = 'deliv_' + s;
    return DICT[lang][key] ? t(key) : s;
}

export function bandLabel(b) {
    const key = 'band_' + b;
    return DICT[lang][key] ? t(key) : b;
}
