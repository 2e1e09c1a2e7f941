using System.Text;
using Rampart.Core.IO;

namespace Rampart.Core.Tests.IO;

public sealed class BoundedFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rampart-bounded-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Theory]
    [InlineData(10, 10, true)]
    [InlineData(11, 10, false)]
    [InlineData(0, 0, true)]
    public void ReadAllBytes_AtMostTheLimit(int size, int limit, bool fits)
    {
        var path = Write("f.bin", new byte[size]);
        var act = () => BoundedFile.ReadAllBytes(path, limit);
        if (fits)
        {
            act().Should().HaveCount(size);
        }
        else
        {
            act.Should().Throw<FileTooLargeException>().Which.Message.Should().Contain(path).And.Contain("11 bytes");
        }
    }

    [Fact]
    public void ReadAll_NonSeekableStream_IsBoundedWhileReading()
    {
        using var pipe = new NonSeekable(new MemoryStream(new byte[100_000]));
        var act = () => BoundedFile.ReadAll(pipe, "a pipe", 65_536);
        act.Should().Throw<FileTooLargeException>().Which.FilePath.Should().Be("a pipe");
    }

    [Fact]
    public async Task ReadAllText_HonoursByteOrderMarks()
    {
        var utf8 = Write("utf8.txt", [0xEF, 0xBB, 0xBF, .. "héllo"u8.ToArray()]);
        var utf16 = Write("utf16.txt", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("wörld")]);
        BoundedFile.ReadAllText(utf8).Should().Be("héllo");
        (await BoundedFile.ReadAllTextAsync(utf16)).Should().Be("wörld");
    }

    [Fact]
    public void ReadLines_SplitsLfAndCrLfAndKeepsALastLineWithoutNewline()
    {
        var path = Write("l.txt", "a\r\nb\n\nc"u8.ToArray());
        BoundedFile.ReadLines(path).Should().Equal("a", "b", "", "c");
    }

    [Fact]
    public void ReadLines_ALineOverTheLimit_NamesItsLineNumber()
    {
        var path = Write("long.jsonl", Encoding.UTF8.GetBytes("short\n" + new string('x', 20_000) + "\nafter\n"));
        var lines = new List<string>();
        var act = () => lines.AddRange(BoundedFile.ReadLines(path, maxLineChars: 10_000));
        act.Should().Throw<FileTooLargeException>().Which.Message.Should().Contain("line 2");
        lines.Should().Equal("short");
    }

    [Fact]
    public async Task ReadToEndAsync_StopsAtTheLimit()
    {
        using var reader = new StringReader(new string('y', 5000));
        var act = () => BoundedFile.ReadToEndAsync(reader, "stderr", 4096);
        await act.Should().ThrowAsync<FileTooLargeException>();
        using var small = new StringReader("ok");
        (await BoundedFile.ReadToEndAsync(small, "stderr", 4096)).Should().Be("ok");
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
