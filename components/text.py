"""User text shown as text, wherever Streamlit would read it as Markdown.

`st.markdown`, `st.caption`, `st.subheader`, alerts, toasts, button labels and help tooltips all
render Markdown with KaTeX: a storyboard named `$$\\rule{3000px}{3000px}$$` blacked out the Takes
page, and `![t](http://host/p.png)` made every viewer's browser fetch that address. Names, take
titles, file names, prompts (and sentences that quote them) go through `plain()` first.
"""

from __future__ import annotations

import re

# What gives text a meaning in Streamlit's Markdown: emphasis, code and strike-through (`* _ ~ \``),
# links, images and directives such as `:red[…]` (`[`), autolinks and HTML (`<` `>` `&`), headings and
# tables (`#` `|`), KaTeX (`$`), and the backslash itself. CommonMark shows an escaped ASCII mark as
# the mark; marks that mean nothing mid-line (`.` `(` `'` `:` …) are left as typed.
_MARKUP = re.compile(r"([\\`*_~\[\]<>&#|$])")
# Meaningful only at the start of a line: list items ("- ", "+ ", "1. ", "2) ").
_LIST_ITEM = re.compile(r"^([-+]|\d+[.)])(?=\s|$)")
# Found in the text after escapes are read, so an escape cannot stop them: bare web and mail
# addresses (GFM autolinks: "http://", "https://", "www.", "a@b.c") and Streamlit's `:red[…]`,
# `:material/…:` and `:smile:`. An invisible word joiner (U+2060) after "://", "www", "@" or a ":"
# before a letter does, and the text still reads the same.
_AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\.)|@|:(?=[a-z]))")
_JOINER = "\u2060"


def plain(text: str) -> str:
    """`text` as it was typed, on one line, for a place that renders Markdown."""
    one_line = _MARKUP.sub(r"\\\1", " ".join(text.split()))
    one_line = _AUTOLINK.sub(lambda m: ":" + _JOINER + "//" if m[1] == "://" else m[1] + _JOINER, one_line)
    return _LIST_ITEM.sub(lambda m: m[1][:-1] + "\\" + m[1][-1], one_line)
