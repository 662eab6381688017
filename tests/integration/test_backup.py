"""What docs/OPERATIONS.md says about backups and upgrades holds:
- an online backup with the sqlite3 shell (`VACUUM INTO` or `.backup`),
  taken while the daemon keeps committing, is consistent and restores every
  meeting and assignment acknowledged before the backup started;
- the backup does not disturb the running daemon;
- a database newer than the binary is refused (exit 1) and left untouched."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import threading

from cplib import Daemon, check, run

SQLITE3 = shutil.which("sqlite3")


def snapshot(c):
    """Every meeting's state and server, from the API."""
    out, cursor = {}, None
    while True:
        r = c.get("/v1/meetings?limit=1000" + ("&cursor=" + cursor if cursor else ""))
        check(r.status == 200, "list", r)
        for m in r.json["meetings"]:
            out[m["id"]] = (m["state"], m["server"])
        cursor = r.json["next"]
        if not cursor:
            return out


def test_online_backup_while_writing_restores_what_was_acknowledged():
    check(SQLITE3, "the sqlite3 shell (Debian package sqlite3) is installed")
    with Daemon() as d:
        c = d.client()
        for i in range(6):
            c.add_server("fe%d" % i)
        for i in range(300):
            c.schedule("m%d" % i)
            if i % 2:
                check(c.join("m%d" % i, "p").status == 200, "join")
        before = snapshot(c)
        stop = threading.Event()
        errors = []

        def writer():
            w = d.client()
            n = 0
            while not stop.is_set():
                r = w.post("/v1/meetings", {"organizer": "bg", "id": "bg%d" % n})
                if r.status != 201 or w.join("bg%d" % n, "x").status != 200:
                    errors.append(r)
                n += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            b1 = os.path.join(d.dir, "vacuum-into.db")
            b2 = os.path.join(d.dir, "dot-backup.db")
            for cmd in (["VACUUM INTO '%s'" % b1], [".backup '%s'" % b2]):
                p = subprocess.run([SQLITE3, d.db] + cmd, capture_output=True, timeout=60)
                check(p.returncode == 0 and not p.stderr, "sqlite3 " + cmd[0], p.stderr)
        finally:
            stop.set()
            t.join()
        check(not errors, "the daemon kept serving during the backups", errors[:3])
        live_version = sqlite3.connect(d.db).execute("PRAGMA user_version").fetchone()[0]
        for b in (b1, b2):
            db = sqlite3.connect(b)
            check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity " + b)
            check(db.execute("PRAGMA user_version").fetchone()[0] == live_version,
                  "schema version kept")
            db.close()
            with Daemon(args=[]) as r:
                # Restore: the backup becomes the database of a new daemon.
                r.kill()
                shutil.copy(b, r.db)
                for ext in ("-wal", "-shm"):
                    if os.path.exists(r.db + ext):
                        os.remove(r.db + ext)
                r.start()
                after = snapshot(r.client())
                missing = [k for k in before if after.get(k) != before[k]]
                check(not missing, "every acknowledged meeting and assignment restored",
                      missing[:5])


def test_newer_database_is_refused_untouched():
    with Daemon() as d:
        d.client().add_server("fe1")
        check(d.stop() == 0, "clean stop")
        db = sqlite3.connect(d.db)
        v = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("PRAGMA user_version = %d" % (v + 1))
        db.commit()
        db.close()
        digest = hashlib.sha256(open(d.db, "rb").read()).hexdigest()
        try:
            d.start(timeout=10)
            raise AssertionError("a newer database was opened")
        except RuntimeError as e:
            check("exited with 1" in str(e) and "newer than this confpool" in str(e),
                  "refused with exit 1 and a message", str(e)[-400:])
        check(hashlib.sha256(open(d.db, "rb").read()).hexdigest() == digest, "untouched")


if __name__ == "__main__":
    run([test_online_backup_while_writing_restores_what_was_acknowledged,
         test_newer_database_is_refused_untouched])
