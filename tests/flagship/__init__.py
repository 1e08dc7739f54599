"""Tests of the flagship brief's content, apart from the tests of the tool.

The tool's tests (tests/test_*.py) say what ``brief`` does with any workspace; they use the
small fixture workspace, or the flagship only as a realistic input. The tests here say what
is true of this repository's own brief, briefs/us-china-ai-gap.yaml, and its data/: the
curation rules of the data (units, editions, attributions, derived values), the numbers and
wording its editions print (the seed traps), that every number printed is traceable to data,
and that the workspace checks clean. They fail when the content is wrong, not the tool; a
change to the content may have to change them, a change to the tool should not.

Fixtures come from tests/conftest.py, helpers from tests/helpers.py (``from helpers import
...``): this folder is a package, so pytest puts tests/ on sys.path for it.
"""
