using System.Globalization;
using System.Text;

namespace Rampart.TestKit;

/// <summary>One member for <see cref="TarBuilder"/>.</summary>
public sealed record TarMember(string Name, byte[] Data)
{
    /// <summary>The type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' folder, '6' FIFO.</summary>
    public char Type { get; init; } = '0';

    public string LinkName { get; init; } = "";

    /// <summary>How a name longer than 100 bytes is written: GNU 'L' record, or a pax 'path' record.</summary>
    public bool Pax { get; init; }

    /// <summary>Write a wrong checksum into this member's header.</summary>
    public bool BadChecksum { get; init; }
}

/// <summary>Builds tar archives (ustar headers, GNU long names, pax records), including broken ones.</summary>
public sealed class TarBuilder
{
    private readonly List<TarMember> _members = [];
    private bool _truncateLast;

    public TarBuilder Add(string name, string text) => Add(new TarMember(name, Encoding.UTF8.GetBytes(text)));

    public TarBuilder Add(string name, byte[] data) => Add(new TarMember(name, data));

    public TarBuilder Add(TarMember member)
    {
        _members.Add(member);
        return this;
    }

    /// <summary>Cut the archive in the middle of the last member's data.</summary>
    public TarBuilder TruncateLast()
    {
        _truncateLast = true;
        return this;
    }

    public byte[] Build()
    {
        using var output = new MemoryStream();
        foreach (var member in _members)
        {
            var name = member.Name;
            if (Encoding.UTF8.GetByteCount(name) > 100)
            {
                if (member.Pax)
                {
                    var record = PaxRecord("path", name);
                    WriteHeader(output, "././@PaxHeader", 'x', record.Length, "", false);
                    WriteData(output, record);
                }
                else
                {
                    var bytes = Encoding.UTF8.GetBytes(name + "\0");
                    WriteHeader(output, "././@LongLink", 'L', bytes.Length, "", false);
                    WriteData(output, bytes);
                }

                name = name[..50];
            }

            WriteHeader(output, name, member.Type, member.Data.Length, member.LinkName, member.BadChecksum);
            if (_truncateLast && ReferenceEquals(member, _members[^1]))
            {
                output.Write(member.Data.AsSpan(0, member.Data.Length / 2));
                return output.ToArray();
            }

            WriteData(output, member.Data);
        }

        output.Write(new byte[1024]);
        return output.ToArray();
    }

    private static byte[] PaxRecord(string key, string value)
    {
        var body = $" {key}={value}\n";
        var length = Encoding.UTF8.GetByteCount(body);
        var total = length + length.ToString(CultureInfo.InvariantCulture).Length;
        if ((total.ToString(CultureInfo.InvariantCulture) + body).Length != total)
        {
            total++;
        }

        return Encoding.UTF8.GetBytes(total.ToString(CultureInfo.InvariantCulture) + body);
    }

    private static void WriteData(MemoryStream output, byte[] data)
    {
        output.Write(data);
        output.Write(new byte[(512 - (data.Length % 512)) % 512]);
    }

    private static void WriteHeader(MemoryStream output, string name, char type, long size, string link, bool badChecksum)
    {
        var header = new byte[512];
        Field(header, 0, 100, name);
        Field(header, 100, 8, "0000644");
        Field(header, 108, 8, "0000000");
        Field(header, 116, 8, "0000000");
        Field(header, 124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
        Field(header, 136, 12, "00000000000");
        header[156] = (byte)type;
        Field(header, 157, 100, link);
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(header, 257);
        for (var i = 148; i < 156; i++)
        {
            header[i] = (byte)' ';
        }

        var sum = header.Sum(b => (int)b) + (badChecksum ? 1 : 0);
        Field(header, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0'));
        header[155] = (byte)' ';
        output.Write(header);
    }

    private static void Field(byte[] header, int offset, int length, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        bytes.AsSpan(0, Math.Min(bytes.Length, length)).CopyTo(header.AsSpan(offset));
    }
}
