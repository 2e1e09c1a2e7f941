using System.Collections.Frozen;

namespace Rampart.Scanning.Analyzers.Keras;

/// <summary>
/// Python modules and built-in functions that reach the operating system, the network or the interpreter itself.
/// Serialized Keras functions and TorchScript code have no business naming them; when they do, loading the model
/// runs them.
/// </summary>
internal static class DangerousPythonNames
{
    public static readonly FrozenSet<string> Modules = new[]
    {
        "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "__builtins__", "sys", "shutil", "socket",
        "importlib", "runpy", "pty", "ctypes", "pickle", "marshal", "webbrowser", "urllib", "requests", "http",
        "multiprocessing", "code", "codeop", "commands", "asyncio", "pathlib", "tempfile",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenSet<string> Functions = new[]
    {
        "eval", "exec", "compile", "__import__", "open", "system", "popen", "spawn", "execv", "execve", "execl",
        "fork", "remove", "unlink", "rmtree", "getattr", "setattr", "globals", "locals", "vars", "breakpoint",
        "check_output", "check_call", "Popen", "import_module", "loads",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The names among <paramref name="names"/> that are dangerous modules or functions (dotted names by their parts).</summary>
    public static IReadOnlyList<string> Matches(IEnumerable<string> names) =>
        [.. names.Where(n => n.Split('.').Any(p => Modules.Contains(p) || Functions.Contains(p))).Distinct(StringComparer.Ordinal)];
}
