# SPDX-License-Identifier: BSD-2-Clause
"""Dump CPython line tables and the interpreter's own per-instruction lines.

Run under any CPython 3.8+: `python3.X pyline_dump.py OUTFILE`. It compiles a
few stdlib modules and a snippet written to exercise the line-table encoders
(multi-line expressions, big line and address jumps, long columns, no-location
instructions, ...), walks every code object recursively through co_consts and
writes, for each, the raw table and what the interpreter says the line of each
instruction is. test_pyline.c replays this through pyline_lookup().

The truth is what the interpreter's Python-level API says: dis.findlinestarts
on 3.8/3.9, co_lines() on 3.10, co_positions() on 3.11+. Every instruction is
also asked of the C function PyCode_Addr2Line (through ctypes), which is what
a frame's f_lineno uses; the number of instructions where the two disagree is
written to the trailer so the test can show it.

Output, one record a line, fields separated by one space:
  V MAJOR MINOR MICRO EXECUTABLE      first line
  C FIRSTLINENO LIMIT TABLEHEX NAME   one code object; TABLEHEX is "-" if empty
  T START:LINE START:LINE ...         its truth, right after its C line
  E NCODE NINSTR NDISAGREE            last line; absent means the dump died

LIMIT and START are in the units pyline_lookup() takes: byte offsets into
co_code on 3.8/3.9 (instructions every 2 bytes), 2-byte code units on 3.10+
(every unit, so 3.11+ inline cache entries are checked too). Each START:LINE
run holds until the next START or LIMIT; LINE is "n" when the instruction has
no line. The first run starts at 0.
"""

import ctypes
import dis
import importlib.util
import sys
import types

MODULES = [
    "argparse",
    "subprocess",
    "json.decoder",
    "asyncio.base_events",
    "dataclasses",
    "typing",
    "inspect",
    "email._header_value_parser",
    "difflib",
    "tarfile",
    "unittest.mock",
]

# Source that makes the encoders use their less common entries. Parts that
# need a newer grammar are added below only when the interpreter has it.
SNIPPET = '''
import functools

def deco(f):
    @functools.wraps(f)
    def inner(*a, **k):
        return f(*a, **k)
    return inner

@deco
@deco
def multi_line(a,
               b,
               c=3):
    x = (a +
         b *
         c)
    y = [i * j
         for i in range(a)
         for j in range(b)
         if (i +
             j) % 2]
    z = {k: v for k, v in zip(
        "abc",
        range(3))}
    w = {e for e in y}
    g = (e
         for e in y)
    return x, y, z, w, list(g)

def flow(n):
    total = 0
    while n > 0:
        if n % 3 == 0:
            n -= 1
            continue
        elif n % 5 == 0:
            break
        for i in range(n):
            total += i
        else:
            total -= 1
        n -= 1
    else:
        total += 100
    try:
        total //= n
    except ZeroDivisionError as e:
        total = -1
    except (TypeError,
            ValueError):
        raise
    else:
        total += 1
    finally:
        total *= 2
    with open("/dev/null") as f, \\
            open("/dev/null") as g:
        f.read(); g.read()
    return total

def gen(n):
    yield 1
    x = yield from range(n)
    yield (
        x,
        n)

async def agen(xs):
    async with xs as y:
        async for i in y:
            yield [j async for j in i]
        await y

class K(
        object):
    attr = lambda self: (
        self)

    @property
    def p(self):
        return self.attr()

    @staticmethod
    def s(*args, key=lambda v: -v):
        return sorted(args,
                      key=key)

def long_columns():
    return functools.reduce(lambda accumulated_value, next_value: accumulated_value + next_value * 2, range(1000), 0) + len("x" * 200)

def many_ops_one_line(a):
    # over 255 bytes of code before the next line: split address deltas
    x = [a, a + 1, a + 2, a + 3, a + 4, a + 5, a + 6, a + 7, a + 8, a + 9, a + 10, a + 11, a + 12, a + 13, a + 14, a + 15, a + 16, a + 17, a + 18, a + 19, a + 20, a + 21, a + 22, a + 23, a + 24, a + 25, a + 26, a + 27, a + 28, a + 29, a + 30, a + 31, a + 32, a + 33, a + 34, a + 35, a + 36, a + 37, a + 38, a + 39, a + 40, a + 41, a + 42, a + 43, a + 44, a + 45, a + 46, a + 47, a + 48, a + 49, a + 50, a + 51, a + 52, a + 53, a + 54, a + 55, a + 56, a + 57, a + 58, a + 59]
    return x

def fstrings(a, b):
    return f"{a!r:>{b}} {a + b} {
        a}" if a else f"""{
        b
    }"""
'''

# Big forward and backward line jumps (> 127 and > 255 lines), which the
# compact tables must split or encode as long varints.
GAPS = (
    "def gaps(a):\n"
    "    x = 1\n" + "\n" * 300 +
    "    y = 2\n" + "\n" * 130 +
    "    return max(\n" + "\n" * 400 +
    "        a,\n" + "\n" * 200 +
    "        x, y)\n"
)

MATCH = '''
def matcher(v):
    match v:
        case [x, y, *rest] if x > y:
            return rest
        case {"k": (1 |
                    2) as k}:
            return k
        case str() | bytes():
            return None
        case _:
            pass
'''

EXCEPT_STAR = '''
def groups():
    try:
        raise ExceptionGroup("g", [ValueError(1)])
    except* ValueError as eg:
        print(eg)
    except* (TypeError,
             KeyError):
        pass
'''

TYPE_PARAMS = '''
type Alias[T] = list[
    T]

class Box[T: (int,
              str)]:
    def get[U](self, u: U) -> T | U:
        return u
'''


def snippet_source():
    src = SNIPPET
    if sys.version_info < (3, 12):
        # nested quotes and newlines inside f-string fields are PEP 701 (3.12)
        src = src[:src.index("def fstrings")]
    if sys.version_info >= (3, 10):
        src += MATCH
    if sys.version_info >= (3, 11):
        src += EXCEPT_STAR
    if sys.version_info >= (3, 12):
        src += TYPE_PARAMS
    return src + GAPS


def sources():
    for name in MODULES:
        spec = importlib.util.find_spec(name)
        with open(spec.origin, encoding="utf-8") as f:
            yield spec.origin, f.read()
    yield "<snippet>", snippet_source()
    # a code object far down a file: large co_firstlineno
    yield "<far>", "\n" * 70000 + "def far(a):\n    return (a,\n        a)\n"
    # empty module: the smallest table the compiler makes
    yield "<empty>", ""


def walk(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from walk(c)


def truth_38(code):
    """Line per instruction (byte offsets, step 2) from dis.findlinestarts."""
    starts = sorted(dis.findlinestarts(code))
    out, k, line = [], 0, None
    for off in range(0, len(code.co_code), 2):
        while k < len(starts) and starts[k][0] <= off:
            line = starts[k][1]
            k += 1
        out.append((off, line))
    return len(code.co_code), out


def truth_310(code):
    """Line per 2-byte code unit from co_lines() (byte ranges, None = none)."""
    nunits = len(code.co_code) // 2
    lines = [None] * nunits
    for start, end, line in code.co_lines():
        for off in range(start, end, 2):
            lines[off // 2] = line
    return nunits, list(enumerate(lines))


def truth_311(code):
    """Line per 2-byte code unit from co_positions()."""
    nunits = len(code.co_code) // 2
    lines = [p[0] for p in code.co_positions()]
    if len(lines) != nunits:
        raise SystemExit("co_positions() gave %d entries for %d code units"
                         % (len(lines), nunits))
    return nunits, list(enumerate(lines))


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: pyline_dump.py OUTFILE")
    minor = sys.version_info[1]
    if minor < 10:
        truth, table_of, byte_off = truth_38, (lambda c: c.co_lnotab), 1
    elif minor == 10:
        truth, table_of, byte_off = truth_310, (lambda c: c.co_linetable), 2
    else:
        truth, table_of, byte_off = truth_311, (lambda c: c.co_linetable), 2

    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
    addr2line.restype = ctypes.c_int

    ncode = ninstr = ndisagree = 0
    with open(sys.argv[1], "w") as out:
        out.write("V %d %d %d %s\n" % (sys.version_info[0], minor,
                                       sys.version_info[2], sys.executable))
        for filename, src in sources():
            top = compile(src, filename, "exec", dont_inherit=True)
            for code in walk(top):
                limit, lines = truth(code)
                table = table_of(code)
                runs, prev = [], object()
                for instr, line in lines:
                    c_line = addr2line(code, instr * byte_off)
                    if c_line != (-1 if line is None else line):
                        ndisagree += 1
                    if line != prev:
                        runs.append("%d:%s" % (instr, "n" if line is None
                                                else line))
                        prev = line
                out.write("C %d %d %s %s\n" % (code.co_firstlineno, limit,
                                               table.hex() or "-",
                                               code.co_name))
                out.write("T %s\n" % " ".join(runs))
                ncode += 1
                ninstr += len(lines)
        out.write("E %d %d %d\n" % (ncode, ninstr, ndisagree))


if __name__ == "__main__":
    main()
