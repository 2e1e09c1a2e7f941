using System.Collections.Frozen;

namespace Rampart.Scanning.Analyzers.Pickle;

/// <summary>
/// The renames Python 3's unpickler applies to pickles of protocol 0-2 written by Python 2 (the fix_imports
/// default): module "__builtin__" is "builtins", "copy_reg" is "copyreg", "__builtin__.reduce" is functools.reduce.
/// A subset that covers the modules that matter for judgement; unknown modules stay as written.
/// </summary>
internal static class PythonNames
{
    private static readonly FrozenDictionary<string, string> Modules = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["__builtin__"] = "builtins",
        ["exceptions"] = "builtins",
        ["copy_reg"] = "copyreg",
        ["cPickle"] = "pickle",
        ["Queue"] = "queue",
        ["SocketServer"] = "socketserver",
        ["ConfigParser"] = "configparser",
        ["repr"] = "reprlib",
        ["UserDict"] = "collections",
        ["UserList"] = "collections",
        ["UserString"] = "collections",
        ["StringIO"] = "io",
        ["cStringIO"] = "io",
        ["urlparse"] = "urllib.parse",
        ["httplib"] = "http.client",
        ["commands"] = "subprocess",
        ["thread"] = "_thread",
        ["dummy_thread"] = "_dummy_thread",
        ["anydbm"] = "dbm",
        ["whichdb"] = "dbm",
        ["dumbdbm"] = "dbm.dumb",
        ["gdbm"] = "dbm.gnu",
        ["dbm"] = "dbm.ndbm",
        ["xmlrpclib"] = "xmlrpc.client",
        ["SimpleXMLRPCServer"] = "xmlrpc.server",
        ["Cookie"] = "http.cookies",
        ["cookielib"] = "http.cookiejar",
        ["BaseHTTPServer"] = "http.server",
        ["SimpleHTTPServer"] = "http.server",
        ["CGIHTTPServer"] = "http.server",
        ["urllib2"] = "urllib.request",
        ["robotparser"] = "urllib.robotparser",
        ["htmlentitydefs"] = "html.entities",
        ["HTMLParser"] = "html.parser",
        ["_winreg"] = "winreg",
        ["Tkinter"] = "tkinter",
        ["__main__"] = "__main__",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<(string, string), (string, string)> Names = new Dictionary<(string, string), (string, string)>
    {
        [("__builtin__", "xrange")] = ("builtins", "range"),
        [("__builtin__", "reduce")] = ("functools", "reduce"),
        [("__builtin__", "intern")] = ("sys", "intern"),
        [("__builtin__", "unichr")] = ("builtins", "chr"),
        [("__builtin__", "unicode")] = ("builtins", "str"),
        [("__builtin__", "long")] = ("builtins", "int"),
        [("__builtin__", "basestring")] = ("builtins", "str"),
        [("__builtin__", "raw_input")] = ("builtins", "input"),
        [("__builtin__", "execfile")] = ("builtins", "exec"),
        [("itertools", "izip")] = ("builtins", "zip"),
        [("itertools", "imap")] = ("builtins", "map"),
        [("itertools", "ifilter")] = ("builtins", "filter"),
        [("itertools", "ifilterfalse")] = ("itertools", "filterfalse"),
        [("itertools", "izip_longest")] = ("itertools", "zip_longest"),
        [("UserDict", "IterableUserDict")] = ("collections", "UserDict"),
        [("_socket", "fromfd")] = ("socket", "fromfd"),
        [("urllib", "urlopen")] = ("urllib.request", "urlopen"),
        [("urllib", "urlretrieve")] = ("urllib.request", "urlretrieve"),
        [("urllib", "urlcleanup")] = ("urllib.request", "urlcleanup"),
        [("urllib", "pathname2url")] = ("urllib.request", "pathname2url"),
        [("urllib", "url2pathname")] = ("urllib.request", "url2pathname"),
        [("urllib", "getproxies")] = ("urllib.request", "getproxies"),
        [("urllib", "quote")] = ("urllib.parse", "quote"),
        [("urllib", "unquote")] = ("urllib.parse", "unquote"),
        [("urllib", "urlencode")] = ("urllib.parse", "urlencode"),
        [("os", "getcwdu")] = ("os", "getcwd"),
        [("multiprocessing.process", "Process")] = ("multiprocessing.context", "Process"),
        [("multiprocessing.forking", "Popen")] = ("multiprocessing.popen_fork", "Popen"),
    }.ToFrozenDictionary();

    /// <summary>Applies Python 3's protocol &lt; 3 fix-ups to a (module, name) pair.</summary>
    public static (string Module, string Name) FixImports(string module, string name)
    {
        if (Names.TryGetValue((module, name), out var renamed))
        {
            return renamed;
        }

        return Modules.TryGetValue(module, out var mapped) ? (mapped, name) : (module, name);
    }
}
