using Rampart.Cli.Reporting;
using Rampart.Scanning.Engine;

namespace Rampart.Cli.Tests;

public sealed class ProgressDisplayTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;

        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void Report_ShortScanWithFewFiles_ShowsNothing()
    {
        var time = new ManualTime();
        using var error = new StringWriter();
        using (var progress = new ProgressDisplay(error, time))
        {
            time.Advance(TimeSpan.FromMilliseconds(500));
            progress.Report(new ScanProgress(1, 3, 10, 30, "a.pt"));
            progress.HasShown.Should().BeFalse();
        }

        error.ToString().Should().BeEmpty();
    }

    [Fact]
    public void Report_AfterOneSecond_ShowsLineAndClearsItOnDispose()
    {
        var time = new ManualTime();
        using var error = new StringWriter();
        using (var progress = new ProgressDisplay(error, time))
        {
            time.Advance(TimeSpan.FromSeconds(2));
            progress.Report(new ScanProgress(1, 4, 512 * 1024, 2 * 1024 * 1024, "models/a.pt"));
            error.ToString().Should().Contain("scanning: 1/4 files, 25% of 2 MiB models/a.pt");
        }

        error.ToString().Should().EndWith("\r");
    }

    [Fact]
    public void Report_ManyFiles_ShowsAtOnceButThrottles()
    {
        var time = new ManualTime();
        using var error = new StringWriter();
        using var progress = new ProgressDisplay(error, time);
        progress.Report(new ScanProgress(1, ProgressDisplay.ShowAtOnceFromFiles, 1, 1000, "a"));
        progress.Report(new ScanProgress(2, ProgressDisplay.ShowAtOnceFromFiles, 2, 1000, "b"));
        error.ToString().Should().Contain(" a").And.NotContain(" b");
        time.Advance(TimeSpan.FromMilliseconds(150));
        progress.Report(new ScanProgress(3, ProgressDisplay.ShowAtOnceFromFiles, 3, 1000, "c"));
        error.ToString().Should().Contain(" c");
    }
}
