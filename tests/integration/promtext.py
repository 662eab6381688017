"""promtext — a strict parser of the Prometheus text exposition format 0.0.4,
for tests. It raises ValueError on anything a Prometheus server would reject
or that the format's rules forbid:

- lines end with '\\n' (the last one too); '# HELP' and '# TYPE' at most once
  per family, TYPE before its samples, known types only;
- metric and label names by the grammar, label values with only \\\\, \\" and
  \\n escapes, no duplicate label in a sample, values as Go's ParseFloat reads
  them (+Inf, -Inf, NaN), optional integer timestamps;
- the samples of a family are one contiguous group, no series twice;
- counters and histogram counts are >= 0; a histogram series has buckets
  with increasing 'le' ending in +Inf, cumulative counts, _count equal to
  the +Inf bucket, and a _sum.

parse(text) returns {family: Family}; Family.samples is a list of
(sample name, {label: value}, float)."""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:Inf|inf|NaN|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Family:
    def __init__(self, name):
        self.name = name
        self.type = None
        self.help = None
        self.samples = []

    def __repr__(self):
        return "<%s %s %d samples>" % (self.name, self.type, len(self.samples))


def _float(s, where):
    if not FLOAT.match(s):
        raise ValueError("%s: bad value %r" % (where, s))
    low = s.lower().lstrip("+-")
    if low == "inf":
        return -math.inf if s.startswith("-") else math.inf
    if low == "nan":
        return math.nan
    return float(s)


def _unescape_help(s, where):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] not in "\\n":
                raise ValueError("%s: bad escape in HELP" % where)
            out.append("\\" if s[i + 1] == "\\" else "\n")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _labels(line, i, where):
    """Parses '{a="x",b="y"}' from line[i] == '{'; returns (labels, next i)."""
    labels = {}
    i += 1
    while True:
        if line[i:i + 1] == "}":
            return labels, i + 1
        m = LABEL.match(line, i)
        if not m:
            raise ValueError("%s: bad label name at %d" % (where, i))
        name = m.group(0)
        if name.startswith("__"):
            raise ValueError("%s: reserved label name %s" % (where, name))
        i = m.end()
        if line[i:i + 2] != '="':
            raise ValueError("%s: expected =\" after %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(line):
                raise ValueError("%s: unterminated label value" % where)
            c = line[i]
            if c == "\\":
                nxt = line[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("%s: bad escape \\%s in label value" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ValueError("%s: duplicate label %s" % (where, name))
        labels[name] = "".join(val)
        if line[i:i + 1] == ",":
            i += 1
        elif line[i:i + 1] != "}":
            raise ValueError("%s: expected , or } at %d" % (where, i))


def _family_of(name, families):
    if name in families:
        return name
    for fam in families.values():
        for suf in SUFFIXES.get(fam.type, ()):
            if name == fam.name + suf:
                return fam.name
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise ValueError("the last line does not end with a newline")
    families = {}
    order = []  # family of each sample group, to check contiguity
    seen = set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ValueError("%s: bad metric name %r" % (where, name))
                fam = families.setdefault(name, Family(name))
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "HELP":
                    if fam.help is not None:
                        raise ValueError("%s: second HELP for %s" % (where, name))
                    fam.help = _unescape_help(rest, where)
                else:
                    if fam.type is not None:
                        raise ValueError("%s: second TYPE for %s" % (where, name))
                    if fam.samples:
                        raise ValueError("%s: TYPE after samples of %s" % (where, name))
                    if rest not in TYPES:
                        raise ValueError("%s: unknown type %r" % (where, rest))
                    fam.type = rest
            continue
        m = NAME.match(line)
        if not m:
            raise ValueError("%s: bad metric name in %r" % (where, line))
        name = m.group(0)
        i = m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = _labels(line, i, where)
        if line[i:i + 1] != " ":
            raise ValueError("%s: expected a space before the value" % where)
        fields = line[i + 1:].split(" ")
        if len(fields) not in (1, 2) or fields[0] == "":
            raise ValueError("%s: expected value [timestamp]" % where)
        value = _float(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ValueError("%s: bad timestamp %r" % (where, fields[1]))
        fname = _family_of(name, families)
        fam = families.setdefault(fname, Family(fname))
        if order and order[-1] != fname and fname in order:
            raise ValueError("%s: samples of %s are not contiguous" % (where, fname))
        if not order or order[-1] != fname:
            order.append(fname)
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError("%s: duplicate series %s%s" % (where, name, labels))
        seen.add(key)
        if fam.type in ("counter",) and not value >= 0:
            raise ValueError("%s: negative counter %s" % (where, name))
        if fam.type == "histogram" and name == fname:
            raise ValueError("%s: histogram sample without _bucket/_sum/_count" % where)
        fam.samples.append((name, labels, value))
    for fam in families.values():
        if fam.type == "histogram":
            _check_histogram(fam)
    return families


def _check_histogram(fam):
    series = {}
    for name, labels, value in fam.samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            if "le" not in labels:
                raise ValueError("%s: bucket without le" % fam.name)
            s["buckets"].append((_float(labels["le"], fam.name), value))
        elif name.endswith("_sum"):
            s["sum"] = value
        elif name.endswith("_count"):
            s["count"] = value
    for base, s in series.items():
        b = s["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ValueError("%s%s: no +Inf bucket" % (fam.name, dict(base)))
        for (le0, c0), (le1, c1) in zip(b, b[1:]):
            if not le1 > le0:
                raise ValueError("%s%s: le not increasing" % (fam.name, dict(base)))
            if c1 < c0:
                raise ValueError("%s%s: buckets not cumulative" % (fam.name, dict(base)))
        if s["count"] is None or s["sum"] is None:
            raise ValueError("%s%s: no _count or _sum" % (fam.name, dict(base)))
        if s["count"] != b[-1][1]:
            raise ValueError("%s%s: _count %s != +Inf bucket %s" % (
                fam.name, dict(base), s["count"], b[-1][1]))
        if any(c < 0 for _, c in b):
            raise ValueError("%s%s: negative bucket" % (fam.name, dict(base)))


def value(families, name, **labels):
    """The value of the one sample called name whose labels include labels
    (None if there is none)."""
    fam = families.get(_family_of(name, families))
    found = []
    for sname, slabels, v in (fam.samples if fam else []):
        if sname == name and all(slabels.get(k) == v2 for k, v2 in labels.items()):
            found.append(v)
    if len(found) > 1:
        raise ValueError("%s%s matches %d samples" % (name, labels, len(found)))
    return found[0] if found else None


def samples(families, name, **labels):
    """Every (labels, value) of sample name matching labels."""
    fam = families.get(_family_of(name, families))
    return [(sl, v) for sn, sl, v in (fam.samples if fam else [])
            if sn == name and all(sl.get(k) == x for k, x in labels.items())]
