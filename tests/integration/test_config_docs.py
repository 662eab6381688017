"""The configuration reference stays complete and true: every key the
parser accepts (src/util/cp_config.c) is in the table of docs/OPERATIONS.md
and in confpool.ini.example, every documented key is accepted, and the
example file starts the daemon as it is."""

import os
import re

from cplib import Daemon, check, run

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(*path):
    return open(os.path.join(ROOT, *path), encoding="utf-8").read()


def parser_keys():
    src = read("src", "util", "cp_config.c")
    keys = set(re.findall(r'KEY\("([a-z_.]+)", "([a-z_]+)"\)', src))
    check("auth" in src and "_token" in src, "tokens are parsed in [auth]")
    keys |= {("auth", r + "_token") for r in ("admin", "scheduler", "client", "server")}
    # [pool.NAME]: the keys compared in the branch that handles "pool." sections
    start = src.index('strncmp(section, "pool."')
    block = src[start:src.index("KEY(", start)]
    pool_keys = re.findall(r'strcmp\(key, "([a-z_]+)"\)', block)
    check("policy" in pool_keys, "[pool.NAME] keys found", pool_keys)
    keys |= {("pool.NAME", k) for k in pool_keys}
    return keys


def documented_keys():
    text = read("docs", "OPERATIONS.md")
    start = text.index("## Configuration reference")
    table = text[start:text.index("\n## ", start + 1)]
    keys, section = set(), None
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("section", "---"):
            continue
        if cells[0]:
            m = re.fullmatch(r"`\[([a-zA-Z_.]+)\]`", cells[0])
            check(m, "section cell", line)
            section = m.group(1)
        for k in re.findall(r"`([a-z_]+)`", cells[1]):
            keys.add((section, k))
    return keys


def example_keys():
    keys, section = set(), None
    for line in read("confpool.ini.example").splitlines():
        m = re.match(r"^\s*;?\s*\[([a-zA-Z_.]+)\]\s*$", line)
        if m:
            section = m.group(1).replace("pool.large", "pool.NAME")
            continue
        m = re.match(r"^\s*;?\s*([a-z_]+)\s*=", line)
        if m and section:
            keys.add((section, m.group(1)))
    return keys


def test_every_parsed_key_is_documented_and_in_the_example():
    parsed, docs, example = parser_keys(), documented_keys(), example_keys()
    check(len(parsed) >= 25, "found the parser's keys", sorted(parsed))
    check(not parsed - docs, "keys missing from docs/OPERATIONS.md", sorted(parsed - docs))
    check(not docs - parsed, "documented keys the parser does not accept", sorted(docs - parsed))
    check(not parsed - example, "keys missing from confpool.ini.example",
          sorted(parsed - example))


def test_the_example_file_starts_the_daemon():
    cfg = read("confpool.ini.example")
    with Daemon(config=cfg) as d:
        check(d.client().get("/healthz").status == 200, "serving with the example config")


if __name__ == "__main__":
    run([test_every_parsed_key_is_documented_and_in_the_example,
         test_the_example_file_starts_the_daemon])
