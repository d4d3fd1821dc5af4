"""Sphinx configuration of the course website (copied into the staged sources by tools/site/build.py).

The sources are a staging folder that build.py fills: the solutions with their stored outputs
(never executed here), the README and the teaching guide as pages, a page with the lectures to
download, and MathJax 3 from npm in _static/mathjax, so that no page asks another server for anything.
"""
project = "How neural networks learn"
html_title = "How neural networks learn"
author = "the course's authors"
copyright = "the course's authors; code MIT, wine data CC BY 4.0"

extensions = ["myst_nb", "sphinx.ext.githubpages"]  # githubpages: writes .nojekyll
nb_execution_mode = "off"  # the stored outputs, as committed: nothing is run
nb_ipywidgets_js = {}  # no widget manager from a CDN (the saved solutions hold pictures, not widget views)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "lectures/**"]  # lectures: downloads, not pages
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
mathjax_path = "mathjax/tex-chtml.js"  # local copy of npm's mathjax@3 (es5 folder), not a CDN
html_theme_options = {
    "use_download_button": True,  # each solution page offers its .ipynb
    "show_toc_level": 2,
}
html_last_updated_fmt = None
html_copy_source = False
