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

# A bzip2 "randomised" block (written only by bzip2 0.9.0; modern encoders never do): compress D' = D xor mask with
# a normal encoder, set the block's randomised bit and put the CRC of D in the block and stream CRC fields.
# libbz2 still decodes such blocks, so bz2.decompress checks the construction.
import ctypes, ctypes.util
rnums = list((ctypes.c_int32 * 512).in_dll(ctypes.CDLL(ctypes.util.find_library('bz2')), 'BZ2_rNums'))

def bzip2_crc(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc ^ 0xFFFFFFFF

def no_runs(data):
    return all(not (data[i] == data[i + 1] == data[i + 2] == data[i + 3]) for i in range(len(data) - 3))

rnd = random.Random(2024)
while True:
    plain = bytes(rnd.choice(b'abcdefgh') for _ in range(3000))
    to_go, pos, masked = 0, 0, bytearray()
    for b in plain:
        if to_go == 0:
            to_go, pos = rnums[pos], (pos + 1) % 512
        to_go -= 1
        masked.append(b ^ (1 if to_go == 1 else 0))
    if no_runs(plain) and no_runs(masked):
        break
stream = bytearray(bz2.compress(bytes(masked), 9))
crc = bzip2_crc(plain)
stream[10:14] = crc.to_bytes(4, 'big')
stream[14] |= 0x80
bits = ''.join(f'{b:08b}' for b in stream)
end = bits.rfind(f'{0x177245385090:048b}')
bits = bits[:end + 48] + f'{crc:032b}' + bits[end + 80:]
stream = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
assert bz2.decompress(stream) == plain
put('randomised.bz2', stream, plain)
with open('vectors.json', 'w') as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
