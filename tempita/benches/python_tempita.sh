#!/usr/bin/env bash
# Time Python Tempita (installed from PyPI into a throw-away venv) rendering
# the same page as benches/render.rs, so that the Rust numbers have a Python
# baseline measured on the same machine.
#
#   benches/python_tempita.sh            # prints the mean time per render
#
# Compare with `cargo bench -p tempita --bench render` run right before or after.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "tempita==0.6.0"
# The template is the TEMPITA constant of render.rs, extracted so both
# languages render exactly the same text.
python3 - "$here/render.rs" >"$venv/page.tmpl" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
m = re.search(r'const TEMPITA: &str = r#"(.*?)"#;', src, re.S)
sys.stdout.write(m.group(1))
PY
"$venv/bin/python" - "$venv/page.tmpl" <<'PY'
import sys, timeit, html
import tempita

src = open(sys.argv[1]).read()
data = dict(
    title="Shop <& Co>",
    user=dict(name="ann o'neil", admin=True),
    nav=[dict(href=f"/section/{i}?a=1&b=2", label=f"Section {i}", active=i == 3) for i in range(8)],
    items=[dict(name=f"Item <{i}> & more", price=i * 1.25 + 0.5, qty=i % 4,
                tags=[f"tag{t}" for t in range(i % 3)]) for i in range(50)],
)

class Bunch(dict):
    """Attribute access, as the Rust side gives dicts."""
    __getattr__ = dict.__getitem__

def wrap(v):
    if isinstance(v, dict):
        return Bunch({k: wrap(x) for k, x in v.items()})
    if isinstance(v, list):
        return [wrap(x) for x in v]
    return v

ns = wrap(data)
ns["upper"] = lambda s: str(s).upper()
# Tempita 0.6.0 HTMLTemplate escapes with html.escape; plain str values.
t = tempita.HTMLTemplate(src, name="page.html")
out = t.substitute(dict(ns))
assert "<td>61.75</td>" in out and "Item &lt;49&gt;" in out, out[:500]
n = 300
secs = timeit.timeit(lambda: t.substitute(dict(ns)), number=n) / n
parse = timeit.timeit(lambda: tempita.HTMLTemplate(src, name="page.html"), number=100) / 100
print(f"python tempita 0.6.0: render {secs * 1e6:.1f} µs, parse {parse * 1e6:.1f} µs (mean of {n})")
PY
