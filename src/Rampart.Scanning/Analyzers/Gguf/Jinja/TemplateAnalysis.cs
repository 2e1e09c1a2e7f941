using System.Collections.Immutable;

namespace Rampart.Scanning.Analyzers.Gguf.Jinja;

/// <summary>What the analysis found; each kind maps to one rule.</summary>
internal enum TemplateIssueKind
{
    /// <summary>A dunder or interpreter-internal attribute written literally (RAMP-GGUF-010).</summary>
    InternalAttribute,

    /// <summary>A name assembled at render time that evaluates to a dunder, internal, module or dangerous name (RAMP-GGUF-011).</summary>
    BuiltName,

    /// <summary>An attribute name computed at render time that cannot be folded (RAMP-GGUF-012).</summary>
    ComputedName,

    /// <summary>Reach-through of Jinja's globals or a web framework's server objects (RAMP-GGUF-013).</summary>
    GlobalReach,

    /// <summary>include / import / from / extends (RAMP-GGUF-014).</summary>
    TemplateLoad,

    /// <summary>A module name or a process / eval-like callable (RAMP-GGUF-015).</summary>
    DangerousCall,
}

internal sealed record TemplateIssue(TemplateIssueKind Kind, string Message, int Line, int Column, string Name);

/// <summary>
/// Walks a Jinja syntax tree and reports what an unsandboxed renderer would let the template reach: dunder and
/// internal attributes (written literally or assembled at render time and found by constant folding through
/// variables, loops, macros, concatenation, joins, formatting, replacement, reversal and slices), attribute names
/// that cannot be folded, reach-through of Jinja's global callables, template loading, and process or eval-like calls.
/// Flow-insensitive: every value a name is ever given counts as a possible value everywhere.
/// Three parts, one file each: bindings (TemplateAnalysis.Bindings.cs: what each name may hold), constant folding
/// (TemplateAnalysis.Folding.cs: the strings an expression may evaluate to) and checks (TemplateAnalysis.Checks.cs:
/// what is reported); this file holds the entry point and the classification of names.
/// </summary>
internal sealed partial class TemplateAnalysis
{
    /// <summary>Most issues reported for one template.</summary>
    public const int MaxIssues = 50;

    /// <summary>Jinja globals whose attributes lead to Python internals (function globals, the jinja2 module).</summary>
    public static readonly ImmutableHashSet<string> JinjaGlobals = ["cycler", "joiner", "namespace", "lipsum", "range", "dict", "self"];

    /// <summary>Objects a web framework puts into templates (Flask-style SSTI targets); a chat template never needs them.</summary>
    public static readonly ImmutableHashSet<string> ServerObjects = ["request", "config", "session", "g", "url_for", "get_flashed_messages", "application"];

    /// <summary>Module names whose reach means code execution or file access.</summary>
    public static readonly ImmutableHashSet<string> ModuleNames =
        ["os", "subprocess", "sys", "builtins", "__builtins__", "importlib", "posix", "nt", "pty", "shutil", "socket", "ctypes",
         "pickle", "marshal", "runpy", "commands", "multiprocessing", "codeop", "pdb", "timeit", "popen2", "pathlib"];

    /// <summary>Callables that run processes, evaluate code, load modules or touch files.</summary>
    public static readonly ImmutableHashSet<string> DangerousCallables =
        ["eval", "exec", "execfile", "compile", "__import__", "import_module", "system", "popen", "Popen", "popen2", "popen3",
         "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "execl", "execle", "execlp",
         "execlpe", "execv", "execve", "execvp", "execvpe", "check_output", "check_call", "getoutput", "getstatusoutput",
         "run_path", "run_module", "load_module", "fork", "forkpty", "posix_spawn", "posix_spawnp", "remove", "unlink",
         "rmdir", "removedirs", "rmtree", "kill", "killpg", "open", "read_text", "write_text", "read_bytes", "write_bytes",
         "globals", "locals", "vars", "getattr", "setattr", "delattr", "breakpoint", "input", "exit", "quit", "loads", "load",
         "mkdir", "makedirs", "mknod", "rename", "chmod", "chown", "symlink", "putenv"];

    /// <summary>Attributes that lead from an object to frames, code and globals (what Jinja's sandbox calls internal).</summary>
    public static readonly ImmutableHashSet<string> InternalNames =
        ["func_globals", "func_code", "func_closure", "func_dict", "func_defaults", "gi_frame", "gi_code", "gi_yieldfrom",
         "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await", "f_globals", "f_locals", "f_builtins", "f_back",
         "f_code", "tb_frame", "tb_next", "co_code", "im_func", "im_self", "im_class", "mro"];

    private readonly CancellationToken _cancellationToken;

    private TemplateAnalysis(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
    }

    public static IReadOnlyList<TemplateIssue> Analyze(TemplateNode template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var analysis = new TemplateAnalysis(cancellationToken);
        analysis.CollectBindings(template);
        analysis.Check(template);
        return analysis._issues;
    }

    // ---- classification ---------------------------------------------------------------------------------------

    private static bool IsDunder(string name) => name.Length > 4 && name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal);

    /// <summary>Why a name used as an attribute or key is dangerous, or null.</summary>
    private static string? Danger(string name, bool attribute)
    {
        if (IsDunder(name))
        {
            return "dunder attribute";
        }

        if (InternalNames.Contains(name))
        {
            return "interpreter-internal attribute";
        }

        if (attribute && name.StartsWith('_'))
        {
            return "private attribute";
        }

        return ModuleNames.Contains(name) ? "module" : null;
    }
}
