#!/usr/bin/env python3
"""The floor for P3 in benches/run.sh: Python's smtplib sending the messages frozen in a
Mailroom outbox (each entry's message.eml to its envelope, as `mailroom outbox list
--json` printed it into ENTRIES_JSON) over ONE connection with STARTTLS and AUTH, as fast
as the server takes them.

usage: smtplib_send.py HOST PORT CA_FILE USER PASSWORD OUTBOX_DIR ENTRIES_JSON
"""

import json
import smtplib
import ssl
import sys
from pathlib import Path


def main() -> None:
    host, port, ca_file, user, password, outbox, listing = sys.argv[1:8]
    entries = json.loads(Path(listing).read_text())
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP(host, int(port)) as smtp:
        smtp.starttls(context=context)
        smtp.login(user, password)
        for entry in entries:
            envelope = entry["envelope"]
            message = (Path(outbox) / entry["id"] / "message.eml").read_bytes()
            refused = smtp.sendmail(envelope["from"] or "", envelope["to"], message)
            if refused:
                sys.exit(f"{entry['id']}: refused {refused}")
    print(f"sent {len(entries)}", file=sys.stderr)


if __name__ == "__main__":
    main()
