"""Checks that an HTML file is well formed enough for a browser to read it
the way it was meant: every element that is opened is closed in order,
void elements aside; no script is loaded from the network; the page needs
no other file. Prints "ok" or one line per problem; exits 1 on problems.

usage: check_html.py FILE.html
"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []

    def where(self):
        line, col = self.getpos()
        return "line %d, column %d" % (line, col + 1)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value and (
                    "://" in value or value.startswith("//")):
                self.problems.append("%s: <%s %s=%r> loads from outside "
                                     "the file" % (self.where(), tag, name,
                                                   value))
        if tag not in VOID:
            self.stack.append((tag, self.where()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack:
            self.problems.append("%s: </%s> closes nothing" %
                                 (self.where(), tag))
            return
        open_tag, opened = self.stack.pop()
        if open_tag != tag:
            self.problems.append("%s: </%s> closes <%s> opened at %s" %
                                 (self.where(), tag, open_tag, opened))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    c = Checker()
    c.feed(text)
    c.close()
    for tag, opened in c.stack:
        c.problems.append("<%s> opened at %s is never closed" % (tag, opened))
    if not text.lstrip().lower().startswith("<!doctype html>"):
        c.problems.append("the file does not start with <!DOCTYPE html>")
    for p in c.problems[:20]:
        print(p)
    if c.problems:
        sys.exit(1)
    print("ok")


main()
