"""Prints what a reader sees in the first sheet of an .xlsx workbook, one
fact a line, for the xlsx writer's tests:
  cell A1 str PatientId bold=1 fmt=General
  cell C2 num 0.25 bold=0 fmt=0.0%
  freeze A2
  cf E2:E4 cellIs equal "low" fill=C6EFCE
usage: read_xlsx.py FILE.xlsx
"""
import sys

import openpyxl


def main():
    wb = openpyxl.load_workbook(sys.argv[1])
    ws = wb.worksheets[0]
    print("sheet %s rows %d cols %d" % (ws.title, ws.max_row, ws.max_column))
    for row in ws.iter_rows():
        for c in row:
            if c.value is None:
                continue
            kind = "num" if isinstance(c.value, (int, float)) else "str"
            print("cell %s %s %s bold=%d fmt=%s" % (
                c.coordinate, kind, c.value, 1 if c.font.b else 0,
                c.number_format))
    print("freeze %s" % ws.freeze_panes)
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            fill = rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill \
                else None
            fill = str(fill)[-6:] if fill else "none"
            print("cf %s %s %s %s fill=%s" % (
                cf.sqref, rule.type, rule.operator,
                ",".join(rule.formula or []), fill))


main()
