"""The container image's start without a Docker engine: app/Dockerfile replayed, instruction by
instruction, into a directory that stands in for the image's root filesystem, then its ENTRYPOINT
run as its USER. Every step comes from the Dockerfile itself (tests/dockerfile.py); an instruction
this module does not know stops the replay, so the Dockerfile cannot change behind its back.

Where this differs from `docker build` + `docker run`, and why:
- Paths: /app, /opt and /tmp of the image live under the stand-in root; the interpreter and the
  system libraries are this machine's (no chroot). The base image's `python` is a link to Debian's
  python3.X of the image's minor version (TASKAPI_IMAGE_PYTHON overrides it): the tests' own
  interpreter (pyenv's) lives under /root, which the app user cannot enter.
- The RUN that adds the app user is not replayed (it would add a user to this machine): the
  entrypoint runs with USER's numeric uid and gid (setpriv), which is all the kernel checks, and
  HOME from that RUN's --home-dir.
- The port: the server binds 0.0.0.0:8000; each instance gets SERVER_BIND=127.0.0.1:<free port>
  (config/server.py reads it), so several can run side by side, on loopback only.
- No PID, network or mount namespace: the entrypoint is not PID 1, but the tests check that the
  process it starts as is the one that becomes the server. Instances of one replayed image share its
  /tmp (and so the migration marker), where containers have one each.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import dockerfile, live
from tests.live import APP_DIR

# The base image's environment (python:3.11-slim), with its /usr/local/bin under the stand-in root.
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
# Absolute paths inside the image that the replay maps under the stand-in root.
IMAGE_DIRS = ("/app", "/opt", "/tmp", "/usr/local/bin")
USER_CREATION = re.compile(r"^groupadd\b.*&&\s*useradd\b")


class UnsupportedInstruction(Exception):
    pass


class Image:
    """The replayed image: `plan()` reads the Dockerfile, `build()` also runs it."""

    def __init__(self, root):
        self.root = Path(root)
        self.env = {}
        self.workdir = "/"
        self.user = None  # (uid, gid)
        self.home = "/"
        self.user_creation = None
        self.port = None
        self.healthcheck = None
        self.entrypoint = None
        self.steps = []  # what the replay did, for failure messages

    # -- paths ------------------------------------------------------------------------------------

    def host(self, path):
        return self.root / path.lstrip("/")

    def translate(self, text):
        """Image paths in a command or value -> their place under the stand-in root."""
        dirs = "|".join(re.escape(d) for d in IMAGE_DIRS)
        return re.sub(rf"(?<![\w./-])((?:{dirs})(?![\w.+-])(?:/[\w.+-]*)*)", lambda m: str(self.host(m.group(1))), text)

    def base_env(self):
        return {"PATH": self.translate(BASE_PATH), "LANG": "C.UTF-8", "HOME": "/root"}

    # -- the replay -------------------------------------------------------------------------------

    def plan(self):
        """Walk the Dockerfile without running anything; raises on what the replay cannot do."""
        return self._replay(execute=False)

    def build(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # a fresh temporary directory is 0700: the app user must get in
        self.host("/tmp").mkdir()
        self.host("/tmp").chmod(0o1777)  # as in the base image: the entrypoint's marker goes there
        python = self.host("/usr/local/bin/python")
        python.parent.mkdir(parents=True, exist_ok=True)
        base = base_python()
        for name in ("python", "python3"):
            self.host(f"/usr/local/bin/{name}").symlink_to(base)
        return self._replay(execute=True)

    def _replay(self, execute):
        stages = dockerfile.stages()
        for stage in stages:
            env, workdir = self.base_env(), "/"  # every FROM starts again from the base image
            for instruction, args in stage.instructions:
                handler = getattr(self, f"_{instruction.lower()}", None)
                if handler is None:
                    raise UnsupportedInstruction(f"{instruction} {args}: tests/image_start.py cannot replay it")
                workdir = handler(args, env, workdir, execute) or workdir
            self.env, self.workdir = env, workdir
        if self.user is None or self.entrypoint is None:
            raise UnsupportedInstruction("the final stage needs USER and ENTRYPOINT")
        return self

    def _env(self, args, env, workdir, execute):
        for name, value in dockerfile.env_assignments(args):
            env[name] = re.sub(
                r"\$(\w+)|\$\{(\w+)\}", lambda m: env.get(m.group(1) or m.group(2), ""), self.translate(value)
            )

    def _run(self, args, env, workdir, execute):
        if USER_CREATION.match(args):
            self.user_creation = args
            home = re.search(r"--home-dir\s+(\S+)", args)
            self.home = home.group(1) if home else "/"
            self.steps.append(f"skipped (adds a user): RUN {args}")
            return
        command = self.translate(args)
        self.steps.append(f"RUN {command}")
        if execute:
            result = subprocess.run(
                ["/bin/sh", "-c", command], cwd=self.host(workdir), env=env, capture_output=True, text=True, timeout=600
            )
            if result.returncode != 0:
                raise AssertionError(f"RUN {command}\nexit {result.returncode}\n{result.stdout}{result.stderr}")

    def _copy(self, args, env, workdir, execute):
        words = shlex.split(args)
        if words[0].startswith("--from="):
            # One root serves every stage, so copying a path onto itself from another stage is a no-op.
            if words[1:] != [words[1], words[1]]:
                raise UnsupportedInstruction(f"COPY {args}: only same-path copies between stages")
            return
        source, target = words
        self.steps.append(f"COPY {source} {target}")
        if not execute:
            return
        destination = self.host(target)
        if source == ".":
            copy_context(destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(APP_DIR / source, destination)

    def _workdir(self, args, env, workdir, execute):
        if execute:
            self.host(args).mkdir(parents=True, exist_ok=True)
        return args

    def _user(self, args, env, workdir, execute):
        uid, _, gid = args.partition(":")
        if not (uid.isdigit() and gid.isdigit()):
            raise UnsupportedInstruction(f"USER {args}: use numeric uid:gid")
        self.user = (int(uid), int(gid))

    def _expose(self, args, env, workdir, execute):
        self.port = int(args)

    def _healthcheck(self, args, env, workdir, execute):
        self.healthcheck = dockerfile.exec_form(args[args.index("CMD ") + 4 :])

    def _entrypoint(self, args, env, workdir, execute):
        self.entrypoint = dockerfile.exec_form(args)

    # -- running it -------------------------------------------------------------------------------

    def as_user(self, command):
        uid, gid = self.user
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *command]

    def container_env(self, task_env):
        """What the process sees: the image's ENV, HOME as Docker sets it, then the task definition's."""
        return {**self.env, "HOME": self.home, **{k: str(v) for k, v in task_env.items()}}

    def start(self, task_env):
        return Container(self, task_env)

    def run_healthcheck(self, port, task_env):
        command = [self.translate(word).replace(f":{self.port}/", f":{port}/") for word in self.healthcheck]
        return subprocess.run(
            self.as_user(command),
            cwd=self.host(self.workdir),
            env=self.container_env(task_env),
            capture_output=True,
            text=True,
            timeout=30,
        )


class Container:
    """One running instance of the image: the ENTRYPOINT as USER, bound to a free loopback port."""

    def __init__(self, image, task_env):
        self.image = image
        self.port = live.free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="image-start-", suffix=".log", delete=False)
        env = image.container_env({**task_env, "SERVER_BIND": f"127.0.0.1:{self.port}"})
        command = image.as_user([image.translate(word) for word in image.entrypoint])
        self.process = subprocess.Popen(
            command, cwd=image.host(image.workdir), env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def copy_context(destination):
    """`COPY . <destination>`: the build context (app/) without what .dockerignore excludes."""
    patterns = [ignore_regex(p) for p in dockerfile.ignore_patterns()]

    def ignored(directory, names):
        relative = Path(directory).relative_to(APP_DIR)
        return {n for n in names if any(p.fullmatch((relative / n).as_posix().removeprefix("./")) for p in patterns)}

    shutil.copytree(APP_DIR, destination, ignore=ignored, symlinks=True, dirs_exist_ok=True)


def ignore_regex(pattern):
    """A .dockerignore pattern as a regex over context-relative paths: `**/` any directories, `*`
    within one name, `[abc]` one of those characters. Negations (`!`) are refused, not half-supported."""
    if pattern.startswith("!") or "?" in pattern or "\\" in pattern:
        raise UnsupportedInstruction(f".dockerignore pattern {pattern!r}: tests/image_start.py cannot match it")
    regex = ""
    for part in re.split(r"(\*\*/|\*|\[[^\]/]+\])", pattern.strip("/")):
        if part.startswith("[") and part.endswith("]") and len(part) > 2:
            regex += "[" + re.escape(part[1:-1]) + "]"
        else:
            regex += {"**/": "(?:.*/)?", "*": "[^/]*"}.get(part, re.escape(part))
    return re.compile(regex)


def base_python():
    """The interpreter that stands in for the base image's: the tests' minor version, runnable by anyone."""
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    python = Path(os.environ.get("TASKAPI_IMAGE_PYTHON") or f"/usr/bin/python{minor}")
    version = subprocess.run(
        [python, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if version.stdout.strip() != minor:
        raise AssertionError(
            f"{python} must be a Python {minor} with venv (Debian: apt-get install python{minor}-venv); "
            f"it said: {version.stdout}{version.stderr}"
        )
    return python


def owner_ids(pid):
    """(real, effective, saved, filesystem) uids of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return tuple(int(x) for x in line.split()[1:])
    raise AssertionError(f"no Uid line for pid {pid}")


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def can_switch_user():
    return os.geteuid() == 0 and shutil.which("setpriv") is not None
