"""Sphinx configuration of the course website (copied into the staged sources by tools/site/build.py).

The sources are a staging folder that build.py fills: the solutions with their stored outputs
(never executed here), the README and the teaching guide as pages, a page with the lectures to
download, and MathJax 3 from npm in _static/mathjax, so that no page asks another server for anything.
Every solution's page links its lecture in Google Colab (build.py writes the link from REPOSITORY and BRANCH).
"""
from mlp.exercises import contract

# The GitHub repository whose lectures/ the "Open in Colab" links open: one home, mlp/exercises/contract.py
# (the lectures' own Colab cell installs the course from there too). Set it there for your own repository.
REPOSITORY, BRANCH = contract.REPOSITORY, contract.BRANCH
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
templates_path = ["_templates"]  # tools/site/_templates: the theme's parts that failed axe's WCAG 2.1 AA rules
mathjax_path = "mathjax/tex-chtml.js"  # local copy of npm's mathjax@3 (es5 folder), not a CDN
# formulas out of the Tab order (MathJax 3 makes each one a Tab stop for its menu): a keyboard user reaches
# the text and the code, not a hundred formulas; the menu stays on right click and the context-menu key
mathjax3_config = {"options": {"menuOptions": {"settings": {"inTabOrder": False}}}}
html_theme_options = {
    "use_download_button": True,  # each solution page offers its .ipynb
    "show_toc_level": 2,
}
html_last_updated_fmt = None
html_copy_source = False
