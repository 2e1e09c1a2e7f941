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

    public static FileKindValue Of(string path) => Of(path, out _);

    /// <summary>
    /// The kind of what <paramref name="path"/> names (following links), or, when it cannot be examined, a problem in
    /// words: a dangling link, a link loop, a path that vanished, access denied.
    /// </summary>
    public static FileKindValue Of(string path, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(path);
        problem = null;
        if (!OperatingSystem.IsLinux())
        {
            return FileKindValue.Regular;
        }

        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
        {
            problem = Explain(path, Marshal.GetLastPInvokeError());
            return FileKindValue.Other;
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

    private static string Explain(string path, int errno)
    {
        string? target = null;
        try
        {
            target = new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not even the link itself can be read; the errno below says why.
        }

        return errno switch
        {
            ENoEnt when target is not null => $"it is a symbolic link to '{target}', which does not exist (a dangling link); it was not read",
            ENoEnt or ENotDir => "it vanished while the scan was looking at it; it was not read",
            ELoop => $"it is a symbolic link{(target is null ? string.Empty : $" to '{target}'")} that never resolves (a link loop: too many levels of symbolic links); it was not read",
            EAcces => "access to it was denied; it was not read",
            _ => $"it could not be examined (error {errno.ToString(System.Globalization.CultureInfo.InvariantCulture)}); it was not read",
        };
    }

    private const int ENoEnt = 2;
    private const int EAcces = 13;
    private const int ENotDir = 20;
    private const int ELoop = 40;

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code, which this library avoids.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] statxbuf);
#pragma warning restore SYSLIB1054
}
