using Rampart.Scanning.IO;
using Rampart.TestKit;

namespace Rampart.Scanning.Tests.IO;

public sealed class ProtobufReaderTests
{
    [Fact]
    public void Read_AllWireTypes_ValuesAndOffsets()
    {
        var bytes = new ProtobufWriter()
            .Varint(1, 300)
            .Number(2, -5)
            .Fixed32(3, 0xDEADBEEF)
            .Fixed64(4, 0x0102030405060708)
            .Text(5, "héllo")
            .Message(6, m => m.Varint(1, 7))
            .ToArray();

        var reader = new ProtobufReader(bytes);
        reader.TryReadTag(out var f, out var w).Should().BeTrue();
        (f, w).Should().Be((1, WireType.Varint));
        reader.ReadVarint().Should().Be(300);
        reader.TryReadTag(out f, out _);
        reader.ReadInt64().Should().Be(-5);
        reader.TryReadTag(out f, out w);
        w.Should().Be(WireType.Fixed32);
        reader.ReadFixed32().Should().Be(0xDEADBEEF);
        reader.TryReadTag(out _, out _);
        reader.ReadFixed64().Should().Be(0x0102030405060708UL);
        reader.TryReadTag(out _, out _);
        reader.ReadString().Should().Be("héllo");
        reader.TryReadTag(out f, out _);
        f.Should().Be(6);
        var nested = reader.ReadMessage();
        nested.Depth.Should().Be(1);
        nested.Offset.Should().Be(bytes.Length - 2);
        nested.TryReadTag(out var nf, out _).Should().BeTrue();
        nf.Should().Be(1);
        nested.ReadVarint().Should().Be(7);
        nested.End.Should().BeTrue();
        reader.TryReadTag(out _, out _).Should().BeFalse();
    }

    [Fact]
    public void Skip_UnknownFields_ReachesNextField()
    {
        var bytes = new ProtobufWriter().Varint(9, ulong.MaxValue).Fixed64(10, 1).Fixed32(11, 1).Text(12, "skip").Varint(1, 42).ToArray();

        var reader = new ProtobufReader(bytes);
        int field;
        WireType wire;
        while (reader.TryReadTag(out field, out wire) && field != 1)
        {
            reader.Skip(wire);
        }

        reader.ReadVarint().Should().Be(42);
    }

    [Theory]
    [InlineData(new byte[] { 0x08, 0x80 }, "truncated protobuf varint")]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, "wider than 64 bits")]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x80, 0x00 }, "wider than 64 bits")]
    [InlineData(new byte[] { 0x12, 0x05, 0x61 }, "runs past the end")]
    [InlineData(new byte[] { 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "runs past the end")]
    [InlineData(new byte[] { 0x0B }, "group")]
    [InlineData(new byte[] { 0x0C }, "group")]
    [InlineData(new byte[] { 0x0E }, "wire type 6")]
    [InlineData(new byte[] { 0x00 }, "field number 0")]
    [InlineData(new byte[] { 0x0D, 0x01, 0x02 }, "truncated protobuf fixed-width")]
    [InlineData(new byte[] { 0x09, 0x01 }, "truncated protobuf fixed-width")]
    public void Read_MalformedInput_ThrowsMalformed(byte[] bytes, string message)
    {
        var act = () =>
        {
            var reader = new ProtobufReader(bytes);
            while (reader.TryReadTag(out _, out var wire))
            {
                reader.Skip(wire);
            }
        };

        act.Should().Throw<MalformedContentException>().WithMessage($"*{message}*");
    }

    [Fact]
    public void Read_VarintMaxValue_Accepted()
    {
        var bytes = new ProtobufWriter().Varint(1, ulong.MaxValue).ToArray();
        var reader = new ProtobufReader(bytes);
        reader.TryReadTag(out _, out _);

        reader.ReadVarint().Should().Be(ulong.MaxValue);
    }

    [Fact]
    public void ReadMessage_TooDeep_Throws()
    {
        var bytes = new ProtobufWriter().Varint(1, 1).ToArray();
        for (var i = 0; i < ProtobufReader.MaxDepth + 1; i++)
        {
            bytes = new ProtobufWriter().Bytes(1, bytes).ToArray();
        }

        var act = () => Descend(new ProtobufReader(bytes));

        act.Should().Throw<MalformedContentException>().WithMessage("*nest deeper*");

        static void Descend(ProtobufReader reader)
        {
            while (reader.TryReadTag(out _, out var wire))
            {
                if (wire == WireType.LengthDelimited)
                {
                    Descend(reader.ReadMessage());
                }
                else
                {
                    reader.Skip(wire);
                }
            }
        }
    }

    [Fact]
    public void ReadRepeatedInt64_PackedAndUnpacked_Collected()
    {
        var bytes = new ProtobufWriter().Packed(1, [1, -2, 300]).Number(1, 4).ToArray();
        var reader = new ProtobufReader(bytes);
        var values = new List<long>();
        while (reader.TryReadTag(out _, out var wire))
        {
            reader.ReadRepeatedInt64(wire, values, 10);
        }

        values.Should().Equal(1, -2, 300, 4);
    }

    [Fact]
    public void CountRepeated_PackedFixedAndVarint_Counts()
    {
        var bytes = new ProtobufWriter().Bytes(1, new byte[12]).Packed(2, [1, 300, 70000]).ToArray();
        var reader = new ProtobufReader(bytes);
        reader.TryReadTag(out _, out var wire);
        reader.CountRepeated(wire, 4).Should().Be(3);
        reader.TryReadTag(out _, out wire);
        reader.CountRepeated(wire, 0).Should().Be(3);
    }
}
