# SPDX-License-Identifier: BSD-2-Clause
"""Python workload with a known shape for the integration tests.

    py_workload.py MODE SECONDS [ARG]

Modes: split, threads, recurse, gen, method (the tests); depth SECONDS N
(spin at the bottom of N nested calls) and fixed ITERATIONS (sleep 1 s, run
a fixed amount of work, print its wall time) for the benchmarks.

Lines the tests look for carry a "# HOT:name" marker; the tests read their
numbers from this file instead of hard-coding them. Every cycle is short
(well under a millisecond) so samples land at random phases of it.
"""
import asyncio
import hashlib
import os
import subprocess
import sys
import threading
import time


def work_a(n):
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF  # HOT:work_a
    return x


def work_b(n):
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF  # HOT:work_b
    return x


def work_c(n):
    x = 1
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF  # HOT:work_c
    return x


def cycle():
    # 5 : 3 : 2 of the same loop body
    work_a(250)  # HOT:cycle_a
    work_b(150)
    work_c(100)


def split(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        cycle()  # HOT:split


def spin_one(end):
    while time.monotonic() < end:
        work_a(100)


def spin_two(end):
    while time.monotonic() < end:
        work_b(100)


def gil_free(end):
    data = b"z" * (8 << 20)
    while time.monotonic() < end:
        hashlib.sha256(data).digest()  # HOT:gil_free


def threads(seconds):
    end = time.monotonic() + seconds
    ts = [threading.Thread(target=f, args=(end,)) for f in (spin_one, spin_two, gil_free)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def recurse(depth, end):
    if depth:
        return recurse(depth - 1, end)
    while time.monotonic() < end:
        work_c(100)
    return 0


def numbers(n):
    while True:
        yield work_b(n)  # HOT:numbers


def consume(seconds):
    end = time.monotonic() + seconds
    for _ in numbers(100):
        if time.monotonic() > end:
            break


async def coro_inner(n):
    return work_c(n)


async def coro_outer(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await coro_inner(100)


def churn_worker():
    work_b(20000)


def churn(seconds):
    # short-lived threads: each start and end passes the thread-state uprobes
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ts = [threading.Thread(target=churn_worker) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def forked_work(end):
    while time.monotonic() < end:
        work_c(100)


def spawn(seconds):
    # a fork that keeps running Python, and a child that execs a new one
    time.sleep(1.5)
    child = subprocess.Popen([sys.executable, __file__, "split", str(seconds)])
    pid = os.fork()
    if pid == 0:
        forked_work(time.monotonic() + seconds)
        os._exit(0)
    child.wait()
    os.waitpid(pid, 0)


def py_cmp(a, b):
    work_b(300)  # HOT:py_cmp
    return a[0] - b[0]


def sort_with_c(seconds):
    # Python -> libc qsort (C without frame pointers) -> Python callback
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    cmp_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
    cmp = cmp_t(py_cmp)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        arr = (ctypes.c_int * 32)(*range(32, 0, -1))
        libc.qsort(arr, len(arr), ctypes.sizeof(ctypes.c_int), cmp)  # HOT:qsort


class Worker:
    def crunch(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            work_a(100)


def main():
    mode, seconds = sys.argv[1], float(sys.argv[2])
    if mode == "split":
        split(seconds)
    elif mode == "threads":
        threads(seconds)
    elif mode == "recurse":
        sys.setrecursionlimit(2000)
        recurse(300, time.monotonic() + seconds)
    elif mode == "gen":
        consume(seconds / 2)
        asyncio.run(coro_outer(seconds / 2))
    elif mode == "ctypes":
        sort_with_c(seconds)
    elif mode == "churn":
        churn(seconds)
    elif mode == "churn_fixed":
        # thread start and end dominate: for the uprobe benchmark
        time.sleep(1)
        t0 = time.monotonic()
        for _ in range(int(seconds)):
            ts = [threading.Thread(target=work_b, args=(10,)) for _ in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        print("elapsed %.6f threads %d" % (time.monotonic() - t0, 4 * int(seconds)))
    elif mode == "spawn":
        spawn(seconds)
    elif mode == "method":
        Worker().crunch(seconds)
    elif mode == "depth":
        sys.setrecursionlimit(2000)
        recurse(int(sys.argv[3]) - 4, time.monotonic() + seconds)
    elif mode == "fixed":
        time.sleep(1)
        t0 = time.monotonic()
        for _ in range(int(seconds)):
            cycle()
        print("elapsed %.6f" % (time.monotonic() - t0))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
