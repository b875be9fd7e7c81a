#!/usr/bin/python3
"""Sustained load of bookings and outcomes for the crash test.

Usage: load.py PORT KEY LOG SECONDS [THREADS]

Each thread books appointments (POST /appointments with an
Idempotency-Key) and records an outcome on every other one it booked.
Every write the server acknowledged is appended to LOG, one line each,
flushed at once:
    booked IDEM_KEY EXT_ID ID
    outcome ID OUTCOME
Requests cut short by the server's death are simply not logged. Stops
after SECONDS or when the server stops answering.
"""
import http.client
import json
import sys
import threading
import time

port, key, log_path, seconds = (int(sys.argv[1]), sys.argv[2],
                                sys.argv[3], float(sys.argv[4]))
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
lock = threading.Lock()
log = open(log_path, "a", buffering=1)
deadline = time.monotonic() + seconds
run_tag = str(int(time.time() * 1000) % 10**9)


def record(line):
    with lock:
        log.write(line + "\n")
        log.flush()


def booking(ext):
    return json.dumps({
        "PatientId": str(1000 + ext % 97), "AppointmentID": ext,
        "Gender": "F", "ScheduledDay": "2016-04-29T18:38:08Z",
        "AppointmentDay": "2016-05-02T00:00:00Z", "Age": 40,
        "Neighbourhood": "CENTRO", "Scholarship": 0, "Hipertension": 0,
        "Diabetes": 0, "Alcoholism": 0, "Handcap": 0, "SMS_received": 0})


def worker(n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    head = {"Authorization": "Bearer " + key,
            "Content-Type": "application/json"}
    i = 0
    while time.monotonic() < deadline:
        i += 1
        ext = int(run_tag) * 1000 + n * 100000 + i
        idem = "crash-%s-%d-%d" % (run_tag, n, i)
        try:
            conn.request("POST", "/appointments", booking(ext),
                         dict(head, **{"Idempotency-Key": idem}))
            r = conn.getresponse()
            body = r.read()
            if r.status != 201:
                continue
            appt = json.loads(body)["id"]
            record("booked %s %d %d" % (idem, ext, appt))
            if i % 2 == 0:
                out = "no_show" if i % 4 == 0 else "honored"
                conn.request("PUT", "/appointments/%d/outcome" % appt,
                             json.dumps({"outcome": out}), head)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    record("outcome %d %s" % (appt, out))
        except (OSError, http.client.HTTPException, ValueError):
            # The server died or dropped us: reconnect until the deadline.
            conn.close()
            time.sleep(0.05)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)


ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
