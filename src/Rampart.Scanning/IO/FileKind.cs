using System.Runtime.InteropServices;

namespace Rampart.Scanning.IO;

/// <summary>What a directory entry is, as far as reading it is concerned.</summary>
public enum FileKindValue
{
    Regular,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Other,
}

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET reports as ordinary files. Opening a FIFO blocks
/// until a writer appears and a device such as /dev/zero never ends, so a hostile folder could hang a scan; only
/// regular files are read. Uses statx(2) on Linux, whose structure layout is the same on every architecture.
/// </summary>
public static class FileKind
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;

    public static FileKindValue Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return FileKindValue.Regular;
        }

        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            // Cannot stat it (dangling link, permissions): let the open report the real error.
            return FileKindValue.Regular;
        }

        var mode = BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000;
        return mode switch
        {
            0x8000 => FileKindValue.Regular,
            0x1000 => FileKindValue.Fifo,
            0xC000 => FileKindValue.Socket,
            0x2000 => FileKindValue.CharacterDevice,
            0x6000 => FileKindValue.BlockDevice,
            _ => FileKindValue.Other,
        };
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code, which this library avoids.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] statxbuf);
#pragma warning restore SYSLIB1054
}
