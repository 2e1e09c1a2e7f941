using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rampart.TestKit.Fuzz;

/// <summary>
/// CPU time consumed by the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)). Unlike wall-clock time it
/// does not grow while the thread waits for a core, so a budget on it holds on a loaded machine. Where the clock is not
/// available, <see cref="IsThreadCpuTime"/> is false and the value is wall-clock time (the only safe stand-in).
/// </summary>
public static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    private static readonly bool Available = Probe();

    /// <summary>True when <see cref="Now"/> is the thread's CPU time, false when it falls back to wall-clock time.</summary>
    public static bool IsThreadCpuTime => Available;

    /// <summary>The calling thread's CPU time so far (or a wall-clock reading, see <see cref="IsThreadCpuTime"/>).</summary>
    public static TimeSpan Now()
    {
        if (Available && Read() is { } cpu)
        {
            return cpu;
        }

        return Stopwatch.GetElapsedTime(0);
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Read() is not null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static TimeSpan? Read()
    {
        // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux.
        var timespec = new long[2];
        if (ClockGetTime(ClockThreadCpuTimeId, timespec) != 0)
        {
            return null;
        }

        return TimeSpan.FromSeconds(timespec[0]) + TimeSpan.FromTicks(timespec[1] / 100);
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code, as in Rampart.Scanning's FileKind.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clockId, [Out] long[] timespec);
#pragma warning restore SYSLIB1054
}
