using System.Collections.Frozen;

namespace Rampart.Scanning.Analyzers.Pickle.Capabilities;

/// <summary>What a Python callable can end up doing, as recorded in the capability map.</summary>
internal static class Capability
{
    public const string ProcessExecution = "process-execution";
    public const string DynamicCode = "eval-exec-compile";
    public const string CodeObject = "code-object";
    public const string DynamicImport = "dynamic-import";
    public const string FileWrite = "file-write";
    public const string Network = "network";
    public const string Ctypes = "ctypes";

    /// <summary>Unpickling or unmarshalling bytes: as good as running code chosen by whoever wrote them.</summary>
    public const string Deserialization = "deserialization";

    /// <summary>Every capability, in the order a message lists them.</summary>
    public static readonly IReadOnlyList<string> All = [ProcessExecution, DynamicCode, CodeObject, DynamicImport, FileWrite, Network, Ctypes, Deserialization];

    /// <summary>How a message names a capability.</summary>
    public static readonly FrozenDictionary<string, string> Words = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ProcessExecution] = "process execution",
        [DynamicCode] = "eval/exec/compile",
        [CodeObject] = "code-object construction",
        [DynamicImport] = "dynamic import",
        [FileWrite] = "file writes",
        [Network] = "network access",
        [Ctypes] = "ctypes (native code)",
        [Deserialization] = "nested deserialization",
    }.ToFrozenDictionary(StringComparer.Ordinal);
}
