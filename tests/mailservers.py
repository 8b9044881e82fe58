"""Real mail servers for the e-mail channel's tests: Debian's dovecot as a private IMAP server (its own generated
configuration, a passwd-file user, the mail in a temporary maildir, a free local port) and aiosmtpd as the SMTP
server that receives what the desk sends. Neither touches anything of the machine's."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from imap_tools import MailBoxUnencrypted

from tests.conftest import closed_port

DOVECOT = Path(os.environ.get("DOVECOT", "/usr/sbin/dovecot"))


class PrivateDovecot:
    """`start()`, then `deliver(user, raw)` puts a message into a user's INBOX (IMAP APPEND, as a mail server's
    delivery would leave it), `stop()`."""

    def __init__(self, users: dict[str, str]) -> None:
        # Its own directory, which dovecot's unprivileged processes can reach (pytest's tmp_path is private to us).
        self.directory = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.directory.chmod(0o755)
        self.users = users
        self.port = closed_port()
        self.process: subprocess.Popen | None = None

    def _config(self) -> Path:
        directory = self.directory
        for name in ("run", "state", "mail"):
            (directory / name).mkdir(parents=True, exist_ok=True)
        uid, gid = os.getuid(), os.getgid()
        as_root, me = uid == 0, pwd.getpwuid(uid).pw_name
        if as_root:
            # dovecot never gives mail to root: as root, the mail belongs to dovecot's own user.
            account = pwd.getpwnam("dovecot")
            uid, gid = account.pw_uid, account.pw_gid
            os.chown(directory / "mail", uid, gid)
        passwd = directory / "passwd"
        passwd.write_text("".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.users.items()))
        config = directory / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%u
first_valid_uid = 0
first_valid_gid = 0
mail_uid = {uid}
mail_gid = {gid}
default_internal_user = {"dovecot" if as_root else me}
default_login_user = {"dovenull" if as_root else me}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/mail/%u
}}
"""
        )
        return config

    def start(self) -> "PrivateDovecot":
        if not DOVECOT.exists():
            raise RuntimeError("dovecot is needed for the e-mail tests: apt-get install -y dovecot-imapd")
        config = self._config()
        self.process = subprocess.Popen(  # noqa: S603
            [str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "dovecot.log").read_text() if (self.directory / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot stopped: {self.process.stderr.read().decode()} {log}")
            try:
                user, password = next(iter(self.users.items()))
                with MailBoxUnencrypted("127.0.0.1", port=self.port, timeout=2).login(user, password):
                    return self
            except OSError:
                time.sleep(0.1)
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not come up")

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        with MailBoxUnencrypted("127.0.0.1", port=self.port, timeout=10).login(user, self.users[user]) as client:
            client.append(raw, folder)

    def maildir_new(self, user: str) -> Path:
        """The user's INBOX `new/` folder: a bench drops thousands of messages here at once, as a local delivery
        agent does."""
        path = self.directory / "mail" / user / "new"
        owner = (self.directory / "mail").stat()
        for folder in (path.parent, path.parent / "new", path.parent / "cur", path.parent / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, owner.st_uid, owner.st_gid)
        return path

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


class SmtpReceiver:
    """aiosmtpd on a free local port; `.messages` holds what it received (email.message.Message objects)."""

    def __init__(self) -> None:
        self.messages: list = []
        receiver = self

        class Handler(MessageHandler):
            def handle_message(self, message) -> None:  # noqa: ANN001 (aiosmtpd's own signature)
                receiver.messages.append(message)

        self.port = closed_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpReceiver":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)
