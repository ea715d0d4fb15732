"""A dispatcher process for the crash test: notify an incident's people through SendGrid at HOST, then exit.

python -m tests.support.dispatch_child INCIDENT_ID HOST   (the workspace comes from the BREACH_* environment)
"""

import sys

from incidents import services
from incidents.notify.sendgrid_backend import SendGridBackend
from incidents.times import now_utc
from incidents.workspace import Workspace

if __name__ == "__main__":
    incident_id, host = sys.argv[1], sys.argv[2]
    ws = Workspace()
    mailer = SendGridBackend(api_key="SG.crash-test", host=host)
    outcome = services.notify_subjects(ws.uow(), ws.profile, mailer, ws.settings.templates_dir, incident_id,
                                       None, now_utc())
    print(outcome.count, outcome.detail)
