# Regenerates the compression test vectors (see tests/fixtures/README.md). Run with CPython 3.11:
#   python3 make_vectors.py
import bz2, gzip, hashlib, json, lzma, random, zlib

def payloads():
    rnd = random.Random(1234)
    words = [''.join(rnd.choice('abcdefghij') for _ in range(rnd.randint(2, 9))) for _ in range(500)]
    yield 'empty', b''
    yield 'hello', b'hello, rampart\n'
    yield 'text40k', ' '.join(rnd.choice(words) for _ in range(8000)).encode()[:40_000]
    yield 'random20k', rnd.randbytes(20_000)
    yield 'repeat2500k', b'abcdefghijklmnopqrstuvwxyz0123456789' * 69_445
    yield 'runs300k', b'\x00' * 150_000 + b'\xff' * 150_000

def encoders():
    yield 'gz', lambda d: gzip.compress(d, 6, mtime=0)
    yield 'zlib', lambda d: zlib.compress(d, 6)
    yield 'bz2', lambda d: bz2.compress(d, 9)
    yield 'bz2l1', lambda d: bz2.compress(d, 1)
    yield 'lzma', lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)
    yield 'crc32.xz', lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    yield 'crc64.xz', lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
    yield 'sha256.xz', lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, check=lzma.CHECK_SHA256)
    yield 'none.xz', lambda d: lzma.compress(d, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE)

manifest = {}
def put(name, data, content):
    with open(name, 'wb') as f:
        f.write(data)
    manifest[name] = {'length': len(content), 'sha256': hashlib.sha256(content).hexdigest()}

for pname, content in payloads():
    for ext, enc in encoders():
        if ext in ('bz2l1',) and pname not in ('repeat2500k', 'text40k'):
            continue
        if ext in ('crc32.xz', 'none.xz', 'sha256.xz', 'zlib') and pname in ('random20k',):
            continue
        put(f'{pname}.{ext}', enc(content), content)

a, b = b'first stream\n' * 100, b'second stream\n' * 50
put('multi.gz', gzip.compress(a, mtime=0) + gzip.compress(b, mtime=0), a + b)
put('multi.bz2', bz2.compress(a) + bz2.compress(b), a + b)
put('multi.xz', lzma.compress(a) + b'\0' * 8 + lzma.compress(b), a + b)
# xz with small LZMA2 chunks and several blocks: a raw preset with a tiny dictionary, written in two flushes.
c = lzma.LZMACompressor(format=lzma.FORMAT_XZ, filters=[{'id': lzma.FILTER_LZMA2, 'dict_size': 4096, 'lc': 0, 'lp': 2, 'pb': 0}])
text = ''.join(random.Random(7).choice('ab cd\n') for _ in range(60_000)).encode()
put('smalldict.xz', c.compress(text) + c.flush(), text)
# gzip with every optional header field.
body = zlib.compressobj(6, zlib.DEFLATED, -15)
deflated = body.compress(a) + body.flush()
header = bytearray(b'\x1f\x8b\x08' + bytes([0x02 | 0x04 | 0x08 | 0x10]) + b'\0\0\0\0\x00\x03')
header += (4).to_bytes(2, 'little') + b'AB\x00\x00' + b'model.pkl\0' + b'a comment\0'
header += (zlib.crc32(bytes(header)) & 0xFFFF).to_bytes(2, 'little')
put('fields.gz', bytes(header) + deflated + zlib.crc32(a).to_bytes(4, 'little') + len(a).to_bytes(4, 'little'), a)
# xz with a BCJ x86 filter (unsupported by Rampart's decoder, must be reported).
put('bcj.xz', lzma.compress(a, format=lzma.FORMAT_XZ, filters=[{'id': lzma.FILTER_X86}, {'id': lzma.FILTER_LZMA2}]), a)
put('delta.xz', lzma.compress(a, format=lzma.FORMAT_XZ, filters=[{'id': lzma.FILTER_DELTA, 'dist': 4}, {'id': lzma.FILTER_LZMA2}]), a)

with open('vectors.json', 'w') as f:
    json.dump(manifest, f, indent=1, sort_keys=True)

# Compression bombs: 40 MB of zeros (excluded from the round-trip list; the analyzer must stop them by ratio).
bombs = {}
for name, data in (('bomb40m.bz2', bz2.compress(b'\0' * 40_000_000, 9)), ('bomb40m.xz', lzma.compress(b'\0' * 40_000_000))):
    with open(name, 'wb') as f:
        f.write(data)
