"""``jupyter-book``, started without two imports the book never uses: ``python
book/tools/build_book.py build . -W -n --keep-going`` does what ``jupyter-book build . -W -n
--keep-going`` does, some 3 s sooner on a 2-core machine.

- When rfc3987-syntax is installed (JupyterLab brings it), jsonschema compiles its forty
  grammars at import (1.8 s); Jupyter Book imports jsonschema to check ``_config.yml``, whose
  schema asks for no string format, so nothing needs them.
- sphinxext-opengraph imports its social-card drawer, and with it matplotlib (1.3 s), even when
  cards are off, as they are here (the card is a committed image); it carries on without it.
"""

from __future__ import annotations

import sys

for unused in ("rfc3987_syntax", "sphinxext.opengraph._social_cards"):
    sys.modules.setdefault(unused, None)  # type: ignore[arg-type]  (importing it fails fast)
from jupyter_book.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
