"""The report as a PDF: the HTML page printed by headless Chromium with the report's print stylesheet.

Chromium lays out the page as a browser would (the same fonts, embedded; the same SVG charts,
as vectors; the static map in place of the interactive one, by the print rules) and prints it
on A4 with page numbers and without the browser's header and footer. It runs with a fresh
profile and the network cut (every request goes to a closed local port, no name resolves), so
the PDF is made from the page alone. Chromium stamps the PDF with the time; the two dates are
blanked (with spaces of the same length, so that every offset of the file stays right), so the
same page gives the same bytes.

Chromium is a program, not a Python package: :func:`find_chromium` looks for it on ``PATH``
(``chromium``, ``chromium-browser``, ``google-chrome``...) or takes ``$BORDERLAND_CHROMIUM``,
and says how to install it when there is none.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from borderland.errors import InputError, OutputError

__all__ = ["CHROMIUM_ENV", "CHROMIUM_NAMES", "find_chromium", "print_pdf"]

#: Environment variable naming the Chromium (or Chrome) executable to use.
CHROMIUM_ENV: Final = "BORDERLAND_CHROMIUM"
#: Names searched on ``PATH``, in order.
CHROMIUM_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Seconds Chromium may take to print one report.
TIMEOUT_S: Final = 180

_FLAGS: Final = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
    # no network: every request goes to a closed port on this machine, and no host name resolves
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer", "--generate-pdf-document-outline", "--virtual-time-budget=10000",
)
_DATES: Final = re.compile(rb"/(CreationDate|ModDate) \(D:[0-9+\-Z']*\)")


def find_chromium(path: str | os.PathLike[str] | None = None) -> str:
    """The Chromium (or Chrome) executable to print with.

    Parameters
    ----------
    path
        An executable to use; by default ``$BORDERLAND_CHROMIUM``, else the first of
        :data:`CHROMIUM_NAMES` found on ``PATH``.

    Returns
    -------
    str
        The executable's path.

    Raises
    ------
    InputError
        None is found (the message says how to install one), or the one named is not an
        executable file.
    """
    named = path or os.environ.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(str(named))
        if found is None:
            raise InputError(f"{CHROMIUM_ENV if path is None else 'chromium'} = {str(named)!r} is not an executable "
                             "file; give the path of Chromium or Chrome (e.g. /usr/bin/chromium)")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise InputError(
        "the PDF is printed by headless Chromium, and none was found (looked for "
        f"{', '.join(CHROMIUM_NAMES)} on PATH, and ${CHROMIUM_ENV}); install Chromium (Debian/Ubuntu: apt-get install "
        f"chromium) or set {CHROMIUM_ENV} to Chrome's path, or leave out --pdf to write the HTML report alone"
    )


def print_pdf(html: str | os.PathLike[str], pdf: str | os.PathLike[str], *,
              chromium: str | os.PathLike[str] | None = None) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4, the page's print stylesheet, fonts embedded).

    Parameters
    ----------
    html
        The HTML file (a report page: it needs nothing from the network).
    pdf
        The PDF to write (replaced if it exists; write into a staging folder for atomicity).
    chromium
        The executable (:func:`find_chromium` by default).

    Returns
    -------
    Path
        The PDF.

    Raises
    ------
    InputError
        No Chromium.
    OutputError
        Chromium failed or timed out; the message gives its last words.
    """
    executable = find_chromium(chromium)
    source, target = Path(html).resolve(), Path(pdf).resolve()
    with tempfile.TemporaryDirectory(prefix="borderland-chromium-") as profile:
        command = [executable, *_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={target}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise OutputError(f"Chromium did not print {source.name} within {TIMEOUT_S} s; try again, or print the "
                              "HTML report from a browser") from None
        except OSError as exc:
            raise InputError(f"cannot run Chromium {executable!r} ({exc.strerror}); check the installation or set "
                             f"{CHROMIUM_ENV}") from None
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        words = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        raise OutputError(f"Chromium could not print {source.name} (exit code {done.returncode}): "
                          f"{' / '.join(words) or 'no message'}")
    data = target.read_bytes()
    # the creation and modification times: blanked in place, so the file's offsets stay right
    target.write_bytes(_DATES.sub(lambda m: b" " * len(m.group(0)), data))
    return target
