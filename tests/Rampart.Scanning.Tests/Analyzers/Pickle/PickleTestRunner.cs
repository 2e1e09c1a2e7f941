using Rampart.Core;
using Rampart.Scanning.Analyzers.Joblib;
using Rampart.Scanning.Analyzers.Pickle;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>Runs the pickle machine directly on bytes.</summary>
internal static class PickleTestRunner
{
    public static (PickleRunResult Result, PickleObservations Seen) Run(byte[] bytes, ScanLimits? limits = null, bool joblib = false)
    {
        var seen = new PickleObservations();
        var input = new PickleInput(new MemoryStream(bytes), 4096);
        var result = new PickleMachine(input, seen, limits ?? ScanLimits.Default, joblib ? JoblibArrayHook.Instance : null, CancellationToken.None).Run();
        return (result, seen);
    }
}
