# SPDX-License-Identifier: BSD-2-Clause
"""Target for tests/unit/test_pyproc.c: a CPython process with a known shape.

Usage: python3.X py_idle.py DIR [SECONDS]

Writes a module with non-ASCII names to DIR/ünïcode_mod.py and imports it,
then runs three threads, each parked in a known function:
  main thread: Cls.method -> zp_marker_func (sleeps in a loop)
  thread 2:    ünïcode_mod.größe_π        (UCS2 name, UCS1 file name)
  thread 3:    ünïcode_mod.𠀀_ucs4        (a name outside the BMP)
When all three are in place it prints one line and flushes it:
  ready IDENT:NATIVE IDENT:NATIVE IDENT:NATIVE
(threading.get_ident(), i.e. pthread_self(), and the kernel tid; main
first). It exits after SECONDS (default 60); the test kills it sooner.
"""
import os
import sys
import threading
import time

MODULE = '''\
def größe_π(started, stop):
    started.set()
    stop.wait()


def 𠀀_ucs4(started, stop):
    started.set()
    stop.wait()
'''


def ident():
    return "%d:%d" % (threading.get_ident(), threading.get_native_id())


def zp_marker_func(idents, deadline):
    print("ready " + " ".join(idents), flush=True)
    while time.monotonic() < deadline:
        time.sleep(0.05)


class Cls:
    def method(self, idents, deadline):
        zp_marker_func(idents, deadline)


def main():
    moddir = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    with open(os.path.join(moddir, "ünïcode_mod.py"), "w",
              encoding="utf-8") as f:
        f.write(MODULE)
    sys.path.insert(0, moddir)
    mod = __import__("ünïcode_mod")

    stop = threading.Event()
    idents = [ident()]
    for fn in (getattr(mod, "größe_π"), getattr(mod, "𠀀_ucs4")):
        started = threading.Event()
        t = threading.Thread(target=fn, args=(started, stop), daemon=True)
        t.start()
        started.wait()
        idents.append("%d:%d" % (t.ident, t.native_id))
    Cls().method(idents, time.monotonic() + seconds)


if __name__ == "__main__":
    main()
