using System.Collections.Frozen;
using Rampart.Core.Rules;

namespace Rampart.Scanning.Analyzers.Pickle.Capabilities;

/// <summary>
/// The ends of the capability map's call chains: callables (mostly in C, so not in any source the map reads)
/// that are a capability in themselves, the native modules known to do nothing outside the process, and the
/// builtins. Names are as Python qualifies them after import ("posix.system" is matched as "os.system").
/// </summary>
internal static class CapabilitySinks
{
    private static readonly (string Capability, NamePattern[] Patterns)[] Sinks =
    [
        (Capability.ProcessExecution, Patterns(
            "os.system", "os.popen", "os.exec*", "os.spawn*", "os.posix_spawn*", "os.fork", "os.forkpty", "os.startfile",
            "os.kill", "os.killpg", "os.abort", "os._exit", "_posixsubprocess.*", "_winapi.CreateProcess", "pty.fork", "pty.spawn")),
        (Capability.DynamicCode, Patterns("builtins.eval", "builtins.exec", "builtins.compile", "builtins.execfile")),
        (Capability.CodeObject, Patterns("types.CodeType", "types.FunctionType", "types.LambdaType", "new.code", "new.function")),
        (Capability.DynamicImport, Patterns(
            "builtins.__import__", "importlib.import_module", "importlib.__import__", "importlib.reload", "importlib._bootstrap.*",
            "importlib._bootstrap_external.*", "importlib.util.module_from_spec", "importlib.util.spec_from_file_location",
            "_imp.*", "imp.*", "_frozen_importlib.*", "_frozen_importlib_external.*", "zipimport.*", "runpy.*")),
        (Capability.FileWrite, Patterns(
            "os.remove", "os.unlink", "os.rename", "os.renames", "os.replace", "os.rmdir", "os.removedirs", "os.mkdir", "os.makedirs",
            "os.chmod", "os.fchmod", "os.lchmod", "os.chown", "os.fchown", "os.lchown", "os.symlink", "os.link", "os.truncate",
            "os.ftruncate", "os.write", "os.pwrite", "os.writev", "os.utime", "os.mkfifo", "os.mknod", "os.open", "os.fdopen",
            "os.sendfile", "os.copy_file_range", "_io.FileIO", "io.FileIO")),
        (Capability.Network, Patterns("_socket.*", "_ssl.*", "socket.socket", "socket.create_connection", "socket.fromfd", "socket.socketpair")),
        (Capability.Ctypes, Patterns("ctypes.*", "_ctypes.*", "cffi.*", "_cffi_backend.*")),
        (Capability.Deserialization, Patterns(
            "pickle.load", "pickle.loads", "pickle.Unpickler", "pickle._Unpickler", "_pickle.*", "cPickle.*", "marshal.load", "marshal.loads")),
    ];

    /// <summary>Callables that open a file: a write only when the mode argument can write (or cannot be read statically).</summary>
    public static readonly FrozenSet<string> OpenFunctions = FrozenSet.ToFrozenSet(["builtins.open", "io.open", "_io.open", "codecs.open", "builtins.file"], StringComparer.Ordinal);

    /// <summary>
    /// Method names that, called on a value of unknown type, may write, run, load or connect (pathlib, file objects,
    /// sockets, subprocess, archives, loaders): such a call makes the caller unknown rather than safe.
    /// </summary>
    public static readonly FrozenSet<string> RiskyMethodNames = FrozenSet.ToFrozenSet(
    [
        "write", "writelines", "write_text", "write_bytes", "unlink", "rmdir", "mkdir", "makedirs", "touch", "rename", "replace",
        "chmod", "lchmod", "chown", "symlink_to", "hardlink_to", "link_to", "open", "_raw_open", "truncate", "remove", "removedirs",
        "system", "popen", "run", "call", "check_call", "check_output", "spawn", "exec", "execv", "execve", "eval", "kill",
        "terminate", "start", "connect", "connect_ex", "send", "sendall", "sendto", "sendfile", "urlopen", "request", "retrieve",
        "load", "loads", "extract", "extractall", "save", "dump", "dumps", "copy", "copyfile", "copytree", "move", "rmtree",
        "import_module", "exec_module", "load_module", "compile", "__import__", "callback", "func", "function", "handler", "target",
    ], StringComparer.Ordinal);

    /// <summary>Native calls that walk objects or frames by name, so no chain through them can be known.</summary>
    private static readonly FrozenSet<string> Opaque = FrozenSet.ToFrozenSet(
    [
        "builtins.globals", "builtins.locals", "builtins.vars", "builtins.breakpoint", "builtins.input", "builtins.raw_input",
        "sys._getframe", "sys.settrace", "sys.setprofile", "sys.addaudithook", "sys.call_tracing", "gc.get_objects",
        "gc.get_referrers", "gc.get_referents", "os.chdir", "os.fchdir", "os.chroot", "os.putenv", "os.unsetenv", "os.setuid",
        "os.setgid", "os.seteuid", "os.setegid", "os.setsid", "os.setreuid", "os.setregid",
    ], StringComparer.Ordinal);

    /// <summary>Native modules (no Python source) whose functions compute, and touch nothing outside the process.</summary>
    private static readonly FrozenSet<string> PureNativeModules = FrozenSet.ToFrozenSet(
    [
        "math", "cmath", "_operator", "itertools", "_collections", "_functools", "_heapq", "_bisect", "_struct", "binascii", "_weakref",
        "_abc", "_sre", "_decimal", "_datetime", "_random", "_json", "_string", "unicodedata", "zlib", "_hashlib", "_sha1", "_sha256",
        "_sha512", "_sha2", "_sha3", "_md5", "_blake2", "array", "time", "_locale", "_codecs", "errno", "_stat", "_warnings",
        "_contextvars", "_csv", "_bz2", "_lzma", "_thread", "atexit", "_signal", "_statistics", "_elementtree",
        "pyexpat", "_typing", "_io", "_tracemalloc", "_opcode", "_symtable", "_tokenize", "_queue", "_asyncio", "_uuid",
        "_zoneinfo", "_posixshmem", "select", "fcntl", "termios", "resource", "grp", "pwd", "_crypt", "_curses", "_dbm", "_gdbm",
        "mmap", "_multibytecodec", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
        "_lsprof", "sys", "posix", "nt", "builtins", "gc",
        "numpy.core._multiarray_umath", "_interpreters", "_xxsubinterpreters",
    ], StringComparer.Ordinal);

    /// <summary>The capability a native callable is in itself, or null.</summary>
    public static string? CapabilityOf(string qualifiedName)
    {
        var name = AsOs(qualifiedName);
        foreach (var (capability, patterns) in Sinks)
        {
            foreach (var pattern in patterns)
            {
                if (pattern.IsMatch(name))
                {
                    return capability;
                }
            }
        }

        return null;
    }

    /// <summary>True for a native call the map cannot see through (frames, globals, process state).</summary>
    public static bool IsOpaque(string qualifiedName) => Opaque.Contains(AsOs(qualifiedName));

    /// <summary>True when the name lies in a native module known to be pure (its callables are ends without a capability).</summary>
    public static bool IsPureNative(string qualifiedName)
    {
        var name = qualifiedName;
        while (name.LastIndexOf('.') is var dot and > 0)
        {
            name = name[..dot];
            if (PureNativeModules.Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>posix.X and nt.X are what os re-exports as os.X.</summary>
    private static string AsOs(string name) =>
        name.StartsWith("posix.", StringComparison.Ordinal) ? "os." + name[6..]
        : name.StartsWith("nt.", StringComparison.Ordinal) ? "os." + name[3..]
        : name;

    private static NamePattern[] Patterns(params string[] names) => [.. names.Select(n => new NamePattern(n))];
}
