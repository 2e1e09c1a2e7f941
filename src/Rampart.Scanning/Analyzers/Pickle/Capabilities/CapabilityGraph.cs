using System.Collections.Frozen;
using Rampart.Scanning.Analyzers.PythonSource;

namespace Rampart.Scanning.Analyzers.Pickle.Capabilities;

/// <summary>What the map says about one callable of one Python installation.</summary>
/// <param name="Chains">For each capability it can reach, the shortest call chain from it to the capability's sink.</param>
/// <param name="UnknownChain">A chain to a call the map cannot resolve (null when every call resolved).</param>
/// <param name="AliasOf">
/// For a name a module binds to a function or class defined elsewhere ("joblib.dump", bound by
/// "from .numpy_pickle import dump"), the definition it resolves to; such an entry has no chains of its own and is
/// judged by its target (see <see cref="CapabilityMap.Look"/>).
/// </param>
internal sealed record CallableReach(IReadOnlyDictionary<string, IReadOnlyList<string>> Chains, IReadOnlyList<string>? UnknownChain, string? AliasOf = null)
{
    /// <summary>Resolved completely and reaches no capability (an alias is never safe in itself).</summary>
    public bool IsSafe => Chains.Count == 0 && UnknownChain is null && AliasOf is null;
}

/// <summary>
/// The call graph of one Python installation (a standard library, optionally with site packages), read with
/// Rampart's own parser and never imported or run. Nodes are module-level functions and classes and the methods of
/// classes (by the dotted name pickle would use: "pdb.Pdb.run"); edges are the calls in their bodies, resolved
/// through the module's imports, its module-level names, re-exports, star imports, self/cls and super().
/// A call on a value (a parameter, a local, a call's result) is dispatch to that value's own type, which a pickle
/// can only supply as another global that is judged on its own; a call the resolver cannot place is "unknown",
/// never "safe". Calling a class reaches its __init__, __new__, __call__, __reduce__, __reduce_ex__ and
/// __setstate__ and its base classes; a decorated function reaches its decorators. What importing a module runs
/// at top level is not followed (see tools/capabilities/README.md).
/// </summary>
internal sealed class CapabilityGraph
{
    /// <summary>Source files larger than this are skipped (generated tables, not code a pickle reaches).</summary>
    public const long MaxFileBytes = 4 * 1024 * 1024;

    private static readonly FrozenSet<string> SkippedFolders = FrozenSet.ToFrozenSet(
        ["site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__", "testing", "lib2to3_tests"], StringComparer.Ordinal);

    private static readonly string[] ReachedOnCall = ["__init__", "__new__", "__call__", "__reduce__", "__reduce_ex__", "__setstate__"];

    private readonly Dictionary<string, ModuleInfo> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Target> _classified = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClassScope> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Class, string Method), (string? Found, bool Unknown)> _inherited = [];
    private readonly Dictionary<(string Name, int Depth), Target> _followed = [];
    private readonly Dictionary<string, StarNames> _starExports = new(StringComparer.Ordinal);
    private Target? _provisional;
    private bool _touchedProvisional;

    /// <summary>Python files read.</summary>
    public int Files { get; private set; }

    /// <summary>Files the parser reported errors in (still analysed as far as they parsed).</summary>
    public int FilesWithErrors { get; private set; }

    /// <summary>
    /// Reads every importable module under <paramref name="root"/> (a lib/pythonX.Y folder or a site-packages
    /// folder); <paramref name="packages"/> limits it to those top-level packages or modules.
    /// </summary>
    public void AddTree(string root, IReadOnlyCollection<string>? packages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var path in Directory.EnumerateFiles(root, "*.py", options).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var parts = relative[..^3].Split('/');
            if (parts[..^1].Any(p => SkippedFolders.Contains(p) || !IsIdentifier(p)) || !IsIdentifier(parts[^1])
                || (packages is not null && !packages.Contains(parts[0])))
            {
                continue;
            }

            var isPackage = parts[^1] == "__init__";
            var name = string.Join('.', isPackage ? parts[..^1] : parts);
            if (name.Length == 0 || new FileInfo(path).Length > MaxFileBytes)
            {
                continue;
            }

            AddModule(name, isPackage, ReadBounded(path), cancellationToken);
        }
    }

    /// <summary>Adds one module's source (tests use this with code written in place).</summary>
    public void AddModule(string name, bool isPackage, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tree = PyParser.Parse(source, cancellationToken);
        Files++;
        if (tree.Errors.Count > 0)
        {
            FilesWithErrors++;
        }

        var module = new ModuleInfo(name, isPackage, tree);
        _modules[name] = module;
        Declare(module, module.Tree.Body, null, name);
    }

    /// <summary>Resolves every body and computes, for every callable, the shortest chain to each capability.</summary>
    public IReadOnlyDictionary<string, CallableReach> Solve(CancellationToken cancellationToken)
    {
        foreach (var node in _nodes.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            new BodyWalker(this, node).Walk();
        }

        var reverse = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var direct = new Dictionary<string, List<(string Node, string End)>>(StringComparer.Ordinal);
        var unknownEnds = new List<(string Node, string End)>();
        foreach (var node in _nodes.Values)
        {
            foreach (var (callee, note) in node.Calls)
            {
                var target = Classify(callee);
                switch (target.Kind)
                {
                    case TargetKind.Node:
                        (reverse.TryGetValue(target.Name, out var list) ? list : reverse[target.Name] = []).Add(node.Name);
                        break;
                    case TargetKind.Sink:
                        (direct.TryGetValue(target.Capability!, out var ends) ? ends : direct[target.Capability!] = []).Add((node.Name, note ?? target.Name));
                        break;
                    case TargetKind.Unknown:
                        unknownEnds.Add((node.Name, "? " + target.Name));
                        break;
                }
            }

            foreach (var (capability, end) in node.DirectSinks)
            {
                (direct.TryGetValue(capability, out var ends) ? ends : direct[capability] = []).Add((node.Name, end));
            }

            if (node.Unknown is { } reason)
            {
                unknownEnds.Add((node.Name, "? " + reason));
            }
        }

        var chains = new Dictionary<string, Dictionary<string, IReadOnlyList<string>>>(StringComparer.Ordinal);
        foreach (var (capability, ends) in direct)
        {
            foreach (var (name, chain) in ShortestChains(ends, reverse))
            {
                (chains.TryGetValue(name, out var map) ? map : chains[name] = new(StringComparer.Ordinal))[capability] = chain;
            }
        }

        var unknown = ShortestChains(unknownEnds, reverse);
        var result = new Dictionary<string, CallableReach>(StringComparer.Ordinal);
        foreach (var node in _nodes.Values)
        {
            result[node.Name] = new CallableReach(
                chains.TryGetValue(node.Name, out var map) ? map : new Dictionary<string, IReadOnlyList<string>>(),
                unknown.GetValueOrDefault(node.Name));
        }

        AddAliases(result);
        return result;
    }

    /// <summary>
    /// The names modules bind to what is defined elsewhere, as a pickle's GLOBAL looks them up (import the module, then
    /// getattr): "from .numpy_pickle import dump [as d]", "import a.b as c", "name = other.name" and what a star import
    /// brings in. A binding that resolves to a function or class of the graph is recorded as an alias of that
    /// definition; one that resolves to a capability's sink ("from os import system as run") is capable in itself,
    /// with the chain [binding, sink]. Bindings of modules, values, pure native functions and names that cannot be
    /// resolved are left out (the judge treats a name the map does not know as strictly as before).
    /// </summary>
    private void AddAliases(Dictionary<string, CallableReach> result)
    {
        foreach (var module in _modules.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var names = new HashSet<string>(module.Imports.Keys, StringComparer.Ordinal);
            names.UnionWith(module.Aliases.Keys);
            foreach (var star in module.Star)
            {
                if (StarExports(star) is { } exports)
                {
                    names.UnionWith(exports.Names);
                }
            }

            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                var bound = module.Name + "." + name;
                if (!IsIdentifier(name) || module.Defined.Contains(name) || _nodes.ContainsKey(bound) || result.ContainsKey(bound))
                {
                    continue;
                }

                var target = Classify(bound);
                if (target.Name == bound)
                {
                    continue;
                }

                if (target.Kind == TargetKind.Node)
                {
                    result[bound] = new CallableReach(new Dictionary<string, IReadOnlyList<string>>(), null, target.Name);
                }
                else if (target.Kind == TargetKind.Sink)
                {
                    result[bound] = new CallableReach(new Dictionary<string, IReadOnlyList<string>> { [target.Capability!] = [bound, target.Name] }, null);
                }
            }
        }
    }

    /// <summary>Multi-source breadth-first search backwards from the nodes that call an end directly.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ShortestChains(List<(string Node, string End)> ends, Dictionary<string, List<string>> reverse)
    {
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        var endOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var (node, end) in ends)
        {
            if (endOf.TryAdd(node, end))
            {
                queue.Enqueue(node);
            }
        }

        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (!reverse.TryGetValue(current, out var callers))
            {
                continue;
            }

            foreach (var caller in callers)
            {
                if (!endOf.ContainsKey(caller) && !next.ContainsKey(caller))
                {
                    next[caller] = current;
                    queue.Enqueue(caller);
                }
            }
        }

        var chains = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var start in endOf.Keys.Concat(next.Keys))
        {
            var chain = new List<string> { start };
            var at = start;
            while (next.TryGetValue(at, out var hop))
            {
                chain.Add(hop);
                at = hop;
            }

            chain.Add(endOf[at]);
            chains[start] = chain;
        }

        return chains;
    }

    // ---- declarations (pass 1) -------------------------------------------------------------------------------------

    private void Declare(ModuleInfo module, IReadOnlyList<Stmt> body, ClassScope? cls, string prefix) =>
        new PyWalk<(ClassScope? Class, string Prefix)>((walk, stmt, at) => Declare(walk, module, stmt, at.Class, at.Prefix), static (_, _, _) => { })
            .Run(body, (cls, prefix));

    private void Declare(PyWalk<(ClassScope? Class, string Prefix)> walk, ModuleInfo module, Stmt stmt, ClassScope? cls, string prefix)
    {
        switch (stmt)
        {
            case ImportStmt or ImportFromStmt when cls is null:
                BindImport(stmt, module, module.Imports, module.Star);
                break;
            case FunctionDef def:
                var function = Get(prefix + "." + def.Name, module, cls);
                function.Functions.Add(def);
                cls?.Methods.Add(def.Name);
                if (cls is null)
                {
                    module.Defined.Add(def.Name);
                }

                break;
            case ClassDef classDef:
                var name = prefix + "." + classDef.Name;
                var node = Get(name, module, cls);
                var scope = _classes.TryGetValue(name, out var existing) ? existing : _classes[name] = new ClassScope(name, classDef, module);
                node.Classes.Add(classDef);
                cls?.Methods.Add(classDef.Name);
                if (cls is null)
                {
                    module.Defined.Add(classDef.Name);
                }

                walk.Body(classDef.Body, (scope, name));
                break;
            case AssignStmt assign when cls is not null:
                foreach (var target in assign.Targets.OfType<NameExpr>())
                {
                    if (assign.Op == "=" && assign.Value is NameExpr or AttributeExpr)
                    {
                        cls.Aliases[target.Id] = assign.Value;
                    }
                    else
                    {
                        cls.Values.Add(target.Id);
                    }
                }

                break;
            case AssignStmt assign when cls is null:
                foreach (var target in assign.Targets)
                {
                    if (target is NameExpr n)
                    {
                        if (assign.Op == "=" && assign.Value is NameExpr or AttributeExpr)
                        {
                            module.Aliases[n.Id] = assign.Value;
                        }
                        else
                        {
                            module.Values.Add(n.Id);
                        }
                    }
                }

                break;
            case BlockStmt block:
                foreach (var nested in block.Bodies)
                {
                    walk.Body(nested, (cls, prefix));
                }

                break;
            case ErrorStmt error:
                walk.Body(error.Body, (cls, prefix));
                break;
        }
    }

    /// <summary>Records what an import statement binds: local name to qualified name, star imports into <paramref name="star"/>.</summary>
    private static void BindImport(Stmt stmt, ModuleInfo module, Dictionary<string, string> names, List<string>? star)
    {
        if (stmt is ImportStmt import)
        {
            foreach (var alias in import.Names)
            {
                var head = alias.Name.Split('.')[0];
                names[alias.AsName ?? head] = alias.AsName is null ? head : alias.Name;
            }
        }
        else if (stmt is ImportFromStmt from)
        {
            var source = module.Absolute(from.Module, from.Level);
            foreach (var alias in from.Names)
            {
                if (alias.Name != "*")
                {
                    names[alias.AsName ?? alias.Name] = source + "." + alias.Name;
                }
                else
                {
                    star?.Add(source);
                }
            }
        }
    }

    private Node Get(string name, ModuleInfo module, ClassScope? cls)
    {
        if (!_nodes.TryGetValue(name, out var node))
        {
            node = _nodes[name] = new Node(name, module, cls);
        }

        return node;
    }

    // ---- resolution --------------------------------------------------------------------------------------------------

    /// <summary>What a qualified name called from some body is: a node, a capability, a pure native end, or unknown.</summary>
    private Target Classify(string qualified)
    {
        if (_classified.TryGetValue(qualified, out var known))
        {
            return known;
        }

        // Cycles of re-exports (a imports b's name, b imports a's) end as unknown.
        var provisional = Target.Unknown("import cycle at " + qualified);
        _classified[qualified] = provisional;
        var outer = _provisional;
        _provisional = provisional;
        var result = ClassifyUncached(qualified, 0);
        _provisional = outer;
        _classified[qualified] = result;
        return result;
    }

    private Target ClassifyUncached(string qualified, int depth)
    {
        if (CapabilitySinks.CapabilityOf(qualified) is { } capability)
        {
            return Target.Sink(capability, qualified);
        }

        if (CapabilitySinks.OpenFunctions.Contains(qualified))
        {
            // Reached through an alias, so the mode argument was not seen: count it as a write.
            return Target.Sink(Capability.FileWrite, qualified + "(mode not seen)");
        }

        if (qualified is "builtins.getattr" or "builtins.setattr" or "builtins.delattr")
        {
            return Target.Unknown(qualified + " through an alias");
        }

        if (CapabilitySinks.IsOpaque(qualified))
        {
            return Target.Unknown(qualified + " (walks frames, globals or process state)");
        }

        if (_nodes.ContainsKey(qualified))
        {
            return Target.Node(qualified);
        }

        if (depth > 12)
        {
            return Target.Unknown(qualified + " (re-exported too deeply)");
        }

        // The longest known module prefix, then the first attribute: a definition, an import, an alias, a star import.
        var dot = qualified.Length;
        while ((dot = qualified.LastIndexOf('.', dot - 1)) > 0)
        {
            if (!_modules.TryGetValue(qualified[..dot], out var module))
            {
                continue;
            }

            var rest = qualified[(dot + 1)..];
            var split = rest.IndexOf('.', StringComparison.Ordinal);
            var first = split < 0 ? rest : rest[..split];
            var tail = split < 0 ? string.Empty : rest[split..];
            if (module.Defined.Contains(first))
            {
                // A class attribute that is no method (a value, a nested alias) cannot be followed.
                return Target.Unknown(qualified + " (not a function or class defined there)");
            }

            if (module.Imports.TryGetValue(first, out var imported))
            {
                return Follow(imported + tail, depth);
            }

            if (module.Aliases.TryGetValue(first, out var alias) && QualifyAt(module, alias) is { } aliased)
            {
                return Follow(aliased + tail, depth);
            }

            foreach (var star in module.Star)
            {
                // A star import of a module the map read is followed only where that module binds the name (its exports
                // are resolved once per module); one it did not read (a native module) is asked directly.
                var exports = StarExports(star);
                IReadOnlyList<string> via = exports is null || exports.Names.Contains(first) ? [star] : exports.Unread;
                foreach (var source in via)
                {
                    var candidate = Follow(source + "." + first + tail, depth);
                    if (candidate.Kind != TargetKind.Unknown)
                    {
                        return candidate;
                    }
                }
            }

            if (_modules.ContainsKey(module.Name + "." + first))
            {
                return Follow(module.Name + "." + first + tail, depth);
            }

            return Target.Unknown(qualified + (module.Values.Contains(first) ? " (a module-level value)" : " (not found in its module's source)"));
        }

        if (_modules.ContainsKey(qualified))
        {
            return Target.Ignore;
        }

        return CapabilitySinks.IsPureNative(qualified) ? Target.Pure : Target.Unknown(qualified);
    }

    private Target Follow(string qualified, int depth)
    {
        if (_classified.TryGetValue(qualified, out var known))
        {
            _touchedProvisional |= ReferenceEquals(known, _provisional);
            return known;
        }

        // Star imports fan out (numpy, scipy and pandas re-export whole packages through chains of "import *"): without
        // this memo, each name no module defines was searched through every chain again, exponentially in the depth.
        // A result is kept only when it did not depend on the name being classified at the top (a cycle), so it is
        // the one a fresh search at the same depth gives.
        if (_followed.TryGetValue((qualified, depth), out var followed))
        {
            return followed;
        }

        var outer = _touchedProvisional;
        _touchedProvisional = false;
        var result = ClassifyUncached(qualified, depth + 1);
        if (!_touchedProvisional)
        {
            _followed[(qualified, depth)] = result;
        }

        _touchedProvisional |= outer;
        return result;
    }

    /// <summary>
    /// What "from <paramref name="moduleName"/> import *" binds, resolved once per module: the names its source binds at
    /// module level (definitions, imports, aliases, values) and, through its own star imports, those of the modules it
    /// star-imports; star imports of modules the map did not read (native ones) are listed in Unread. Null when the
    /// module itself was not read. A cycle of star imports sees the part resolved so far (a name it misses stays unknown).
    /// </summary>
    private StarNames? StarExports(string moduleName)
    {
        if (!_modules.TryGetValue(moduleName, out var module))
        {
            return null;
        }

        if (_starExports.TryGetValue(moduleName, out var known))
        {
            return known;
        }

        var names = new HashSet<string>(module.Defined, StringComparer.Ordinal);
        names.UnionWith(module.Imports.Keys);
        names.UnionWith(module.Aliases.Keys);
        names.UnionWith(module.Values);
        var unread = new List<string>();
        var exports = _starExports[moduleName] = new StarNames(names, unread);
        foreach (var star in module.Star)
        {
            if (StarExports(star) is { } nested)
            {
                names.UnionWith(nested.Names);
                unread.AddRange(nested.Unread.Where(u => !unread.Contains(u)));
            }
            else if (!unread.Contains(star))
            {
                unread.Add(star);
            }
        }

        return exports;
    }

    /// <summary>
    /// Where <paramref name="method"/> is defined for instances of the class node <paramref name="className"/>: its own
    /// definition, else its bases' in order. Null with <paramref name="unknown"/> false: not defined in any class the
    /// map reads nor any builtin base (an instance attribute, dispatch on a value); unknown: a base cannot be resolved.
    /// </summary>
    private string? Inherited(string className, string method, int depth, out bool unknown)
    {
        if (_inherited.TryGetValue((className, method), out var known))
        {
            unknown = known.Unknown;
            return known.Found;
        }

        // Provisional answer while the bases are searched (a class hierarchy with a cycle ends here as unknown).
        _inherited[(className, method)] = (null, true);
        var found = InheritedUncached(className, method, depth, out unknown);
        _inherited[(className, method)] = (found, unknown);
        return found;
    }

    private string? InheritedUncached(string className, string method, int depth, out bool unknown)
    {
        unknown = false;
        if (!_classes.TryGetValue(className, out var scope))
        {
            unknown = !CapabilitySinks.IsPureNative(className);
            return null;
        }

        if (scope.Methods.Contains(method))
        {
            return className + "." + method;
        }

        if (scope.Aliases.TryGetValue(method, out var alias))
        {
            // "_builtin_open = open" in the class body: self._builtin_open(...) calls what the alias names.
            unknown = QualifyAt(scope.Module, alias) is null;
            return unknown ? null : QualifyAt(scope.Module, alias);
        }

        if (scope.Values.Contains(method))
        {
            unknown = true;
            return null;
        }

        if (depth > 20)
        {
            unknown = true;
            return null;
        }

        foreach (var b in scope.Definition.Bases.Where(b => b.Keyword is null && b.Star == 0))
        {
            if (QualifyAt(scope.Module, b.Value) is not { } qualified)
            {
                unknown |= b.Value is not (SubscriptExpr or CallExpr);
                continue;
            }

            var target = Classify(qualified);
            if (target.Kind != TargetKind.Node)
            {
                unknown |= target.Kind == TargetKind.Unknown;
                continue;
            }

            if (Inherited(target.Name, method, depth + 1, out var baseUnknown) is { } found)
            {
                return found;
            }

            unknown |= baseUnknown;
        }

        return null;
    }

    /// <summary>What a class attribute bound to a name ("_os = os") in the class or its bases names, or null.</summary>
    private string? ClassAlias(string className, string attribute)
    {
        for (var depth = 0; depth < 20 && _classes.TryGetValue(className, out var scope); depth++)
        {
            if (scope.Aliases.TryGetValue(attribute, out var alias))
            {
                return QualifyAt(scope.Module, alias);
            }

            var first = scope.Definition.Bases.FirstOrDefault(b => b.Keyword is null && b.Star == 0);
            if (first is null || QualifyAt(scope.Module, first.Value) is not { } baseName || Classify(baseName) is not { Kind: TargetKind.Node } baseNode)
            {
                return null;
            }

            className = baseNode.Name;
        }

        return null;
    }

    /// <summary>The qualified name of a module-level Name or Attribute chain, through the module's imports and definitions.</summary>
    private static string? QualifyAt(ModuleInfo module, Expr expr) => expr switch
    {
        NameExpr n when module.Defined.Contains(n.Id) || module.Aliases.ContainsKey(n.Id) => module.Name + "." + n.Id,
        NameExpr n when module.Imports.TryGetValue(n.Id, out var imported) => imported,
        NameExpr n when module.Star.Count > 0 && !Builtins.Contains(n.Id) => module.Name + "." + n.Id,
        NameExpr n when Builtins.Contains(n.Id) => "builtins." + n.Id,
        AttributeExpr a when QualifyAt(module, a.Value) is { } owner => owner + "." + a.Attr,
        _ => null,
    };

    private static string ReadBounded(string path)
    {
        // The file's length was checked against MaxFileBytes; read exactly that much, never more.
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[(int)Math.Min(new FileInfo(path).Length, MaxFileBytes)];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        return new string(buffer, 0, read);
    }

    private static bool IsIdentifier(string part) =>
        part.Length > 0 && (char.IsLetter(part[0]) || part[0] == '_') && part.All(c => char.IsLetterOrDigit(c) || c == '_');

    private static readonly FrozenSet<string> Builtins = FrozenSet.ToFrozenSet(
    [
        "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr",
        "classmethod", "compile", "complex", "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "execfile", "filter", "float",
        "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance",
        "issubclass", "iter", "len", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open",
        "ord", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted",
        "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip", "__import__", "file", "unicode", "long",
        "xrange", "raw_input", "reduce", "unichr", "basestring", "cmp", "apply", "intern", "coerce", "buffer", "reload",
        "exit", "quit", "copyright", "credits", "license", "NotImplemented", "Ellipsis", "__build_class__",
        "BaseException", "Exception", "ArithmeticError", "AssertionError", "AttributeError", "BlockingIOError",
        "BrokenPipeError", "BufferError", "ChildProcessError", "ConnectionAbortedError", "ConnectionError",
        "ConnectionRefusedError", "ConnectionResetError", "EOFError", "EnvironmentError", "FileExistsError",
        "FileNotFoundError", "FloatingPointError", "GeneratorExit", "IOError", "ImportError", "IndentationError",
        "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError",
        "MemoryError", "ModuleNotFoundError", "NameError", "NotADirectoryError", "NotImplementedError", "OSError",
        "OverflowError", "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError", "RuntimeError",
        "StopAsyncIteration", "StopIteration", "SyntaxError", "SystemError", "SystemExit", "TabError", "TimeoutError",
        "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
        "UnicodeTranslateError", "ValueError", "ZeroDivisionError", "Warning", "UserWarning", "DeprecationWarning",
        "PendingDeprecationWarning", "SyntaxWarning", "RuntimeWarning", "FutureWarning", "ImportWarning",
        "UnicodeWarning", "BytesWarning", "ResourceWarning", "EncodingWarning", "BaseExceptionGroup", "ExceptionGroup",
        "WindowsError", "StandardError",
    ], StringComparer.Ordinal);

    // ---- bodies (pass 2) -----------------------------------------------------------------------------------------------

    /// <summary>Collects one node's calls: walks its function bodies (nested functions and lambdas inline) or its class.</summary>
    private sealed class BodyWalker(CapabilityGraph graph, Node node)
    {
        private readonly HashSet<string> _locals = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _localImports = new(StringComparer.Ordinal);
        private PyWalk<bool>? _walker;
        private string? _self;

        private PyWalk<bool> Walker => _walker ??= new PyWalk<bool>(Statement, Expression);

        public void Walk()
        {
            if (node.Module.Tree.Errors.Count > 0)
            {
                // Calls in what did not parse are lost, so nothing in the file can be called safe.
                node.Unknown = node.Module.Name + " did not parse completely";
            }

            if (node.Module.Values.Contains(node.Name[(node.Name.LastIndexOf('.') + 1)..]) && node.Owner is null)
            {
                node.Unknown = node.Name + " is rebound at module level";
            }

            foreach (var cls in node.Classes)
            {
                foreach (var decorator in cls.Decorators)
                {
                    Call(decorator, null);
                }

                foreach (var b in cls.Bases)
                {
                    if (Qualify(b.Value) is { } qualified)
                    {
                        node.Calls.Add((qualified, null));
                    }
                    else if (b.Value is not (SubscriptExpr or CallExpr))
                    {
                        node.Unknown ??= "base class that cannot be resolved";
                    }
                }

                foreach (var method in ReachedOnCall)
                {
                    if (graph._nodes.ContainsKey(node.Name + "." + method))
                    {
                        node.Calls.Add((node.Name + "." + method, null));
                    }
                }
            }

            foreach (var def in node.Functions)
            {
                foreach (var decorator in def.Decorators)
                {
                    Call(decorator, null);
                }

                _self = node.Owner is not null && def.Params.Count > 0 ? def.Params[0].Name : null;
                foreach (var p in def.Params)
                {
                    _locals.Add(p.Name);
                }

                CollectLocals(def.Body);
                Statements(def.Body);
            }
        }

        private void Call(Expr decorator, CallExpr? call)
        {
            // A decorator expression is called with the function: treat it as a call site.
            if (decorator is CallExpr inner)
            {
                Expression(inner);
                return;
            }

            Callee(decorator, call);
        }

        private void CollectLocals(IReadOnlyList<Stmt> body) => new PyWalk<bool>(CollectLocals, static (_, _, _) => { }).Run(body, false);

        private void CollectLocals(PyWalk<bool> walk, Stmt stmt, bool unused)
        {
            switch (stmt)
            {
                case AssignStmt assign:
                    foreach (var target in assign.Targets)
                    {
                        BindTarget(target);
                    }

                    break;
                case FunctionDef def:
                    _locals.Add(def.Name);
                    foreach (var p in def.Params)
                    {
                        _locals.Add(p.Name);
                    }

                    walk.Body(def.Body, unused);
                    break;
                case ClassDef cls:
                    _locals.Add(cls.Name);
                    walk.Body(cls.Body, unused);
                    break;
                case ImportStmt or ImportFromStmt:
                    BindImport(stmt, node.Module, _localImports, null);
                    break;
                case BlockStmt block:
                    foreach (var item in block.Items)
                    {
                        if (item.Target is not null)
                        {
                            BindTarget(item.Target);
                        }
                    }

                    foreach (var nested in block.Bodies)
                    {
                        walk.Body(nested, unused);
                    }

                    break;
                case SimpleStmt { Kind: "global" or "nonlocal" }:
                    break;
                case ErrorStmt error:
                    walk.Body(error.Body, unused);
                    break;
            }
        }

        private void BindTarget(Expr target)
        {
            switch (target)
            {
                case NameExpr n:
                    _locals.Add(n.Id);
                    break;
                case CollectionExpr c:
                    foreach (var item in c.Items)
                    {
                        if (item is not null)
                        {
                            BindTarget(item);
                        }
                    }

                    break;
                case OtherExpr { Kind: "starred" } starred when starred.Children.Count > 0:
                    BindTarget(starred.Children[0]);
                    break;
            }
        }

        private void Statements(IReadOnlyList<Stmt> body) => Walker.Run(body, false);

        private void Expression(Expr expr) => Walker.Run(expr, false);

        /// <summary>A statement's expressions and bodies, scheduled in source order (callees are noted when their turn comes).</summary>
        private void Statement(PyWalk<bool> walk, Stmt stmt, bool unused)
        {
            switch (stmt)
            {
                case AssignStmt assign:
                    walk.Expression(assign.Value, unused);
                    foreach (var target in assign.Targets)
                    {
                        walk.Expression(target, unused);
                    }

                    break;
                case ExprStmt e:
                    walk.Expression(e.Value, unused);
                    break;
                case ReturnStmt { Value: { } value }:
                    walk.Expression(value, unused);
                    break;
                case SimpleStmt simple:
                    foreach (var child in simple.Children)
                    {
                        walk.Expression(child, unused);
                    }

                    break;
                case FunctionDef def:
                    foreach (var decorator in def.Decorators)
                    {
                        if (decorator is CallExpr)
                        {
                            walk.Expression(decorator, unused);
                        }
                        else
                        {
                            walk.Then(() => Callee(decorator, null));
                        }
                    }

                    foreach (var p in def.Params)
                    {
                        walk.Expression(p.Default, unused);
                    }

                    walk.Body(def.Body, unused);
                    break;
                case ClassDef cls:
                    foreach (var b in cls.Bases)
                    {
                        walk.Expression(b.Value, unused);
                    }

                    walk.Body(cls.Body, unused);
                    break;
                case BlockStmt block:
                    foreach (var h in block.Header)
                    {
                        walk.Expression(h, unused);
                    }

                    foreach (var item in block.Items)
                    {
                        walk.Expression(item.Context, unused);
                    }

                    foreach (var nested in block.Bodies)
                    {
                        walk.Body(nested, unused);
                    }

                    break;
                case ErrorStmt error:
                    walk.Body(error.Body, unused);
                    break;
            }
        }

        private void Expression(PyWalk<bool> walk, Expr expr, bool unused)
        {
            switch (expr)
            {
                case CallExpr call:
                    Callee(call.Func, call);
                    walk.CallChildren(call, unused);
                    break;
                case CollectionExpr c:
                    if (c.Kind.EndsWith("comp", StringComparison.Ordinal) || c.Kind == "genexp")
                    {
                        // Comprehension targets: any plain name or tuple of names after the element(s).
                        foreach (var item in c.Items.Skip(c.Kind == "dictcomp" ? 2 : 1))
                        {
                            if (item is NameExpr or CollectionExpr { Kind: "tuple" })
                            {
                                BindTarget(item);
                            }
                        }
                    }

                    walk.Children(c, unused);
                    break;
                case LambdaExpr lambda:
                    foreach (var p in lambda.Params)
                    {
                        _locals.Add(p.Name);
                    }

                    walk.Children(lambda, unused);
                    break;
                case NamedExpr named:
                    _locals.Add(named.Target);
                    walk.Children(named, unused);
                    break;
                default:
                    walk.Children(expr, unused);
                    break;
            }
        }

        /// <summary>Records what calling <paramref name="func"/> reaches.</summary>
        private void Callee(Expr func, CallExpr? call)
        {
            if (func is AttributeExpr { Value: CallExpr { Func: NameExpr { Id: "super" } } } viaSuper && node.Owner is { } derived)
            {
                foreach (var b in derived.Definition.Bases.Where(b => b.Keyword is null && b.Star == 0))
                {
                    if (QualifyAtModule(b.Value) is { } baseName && graph.Classify(baseName) is { Kind: TargetKind.Node } baseNode)
                    {
                        Method(baseNode.Name, viaSuper.Attr);
                    }
                }

                return;
            }

            if (func is NameExpr called && called.Id == _self && node.Owner is { } constructed)
            {
                // cls(...) in a classmethod builds the class; self(...) calls its __call__.
                node.Calls.Add((constructed.Name, null));
                return;
            }

            if (func is AttributeExpr { Value: NameExpr self } method && self.Id == _self && node.Owner is { } owner)
            {
                Method(owner.Name, method.Attr);
                return;
            }

            if (func is AttributeExpr { Value: AttributeExpr { Value: NameExpr owned, Attr: var stored } } viaAttribute && owned.Id == _self && node.Owner is { } holder
                && graph.ClassAlias(holder.Name, stored) is { } aliased)
            {
                // self._os.unlink(...) with "_os = os" in the class body is os.unlink.
                node.Calls.Add((aliased + "." + viaAttribute.Attr, null));
                return;
            }

            var qualified = Qualify(func);
            if (qualified is null)
            {
                if (RootIsUnresolvedGlobal(func) is { } root)
                {
                    node.Unknown ??= $"calls {root}, which is not defined, imported or a builtin";
                }
                else if (func is AttributeExpr { Attr: var name } && CapabilitySinks.RiskyMethodNames.Contains(name))
                {
                    // Dispatch on a value whose type the map cannot know, by a name that writes, runs or connects.
                    node.Unknown ??= $"calls .{name}() on a value whose type the map cannot know";
                }

                return;
            }

            if (CapabilitySinks.OpenFunctions.Contains(qualified))
            {
                if (call is null || OpensForWriting(call))
                {
                    node.DirectSinks.Add((Capability.FileWrite, qualified + "(mode=" + ModeText(call) + ")"));
                }

                return;
            }

            if (qualified is "builtins.getattr" or "builtins.setattr" or "builtins.delattr" && call is not null
                && (call.Args.Count < 2 || call.Args[1].Value is not ConstantExpr { Kind: "str" }))
            {
                node.Unknown ??= qualified[9..] + " with a computed attribute name";
                return;
            }

            node.Calls.Add((qualified, null));
        }

        /// <summary>self.m(...) or super().m(...): the method the class or its bases define, else dispatch on the instance.</summary>
        private void Method(string className, string method)
        {
            if (graph.Inherited(className, method, 0, out var unknown) is { } found)
            {
                node.Calls.Add((found, null));
            }
            else if (unknown || !(method.StartsWith("__", StringComparison.Ordinal) && method.EndsWith("__", StringComparison.Ordinal)))
            {
                // (A special method no class the map reads defines is the builtin object's or type's own slot.)
                // Not a method of the class or its bases: an attribute set at run time (a stored callable), or from a
                // base the map cannot read. Either way the map cannot say what runs.
                node.Unknown ??= unknown
                    ? $"{className}.{method} may come from a base class or class attribute the map cannot read"
                    : $"{className}.{method} is no method: a callable stored on the instance";
            }
        }

        /// <summary>open(file, mode): a write unless the mode is a constant without w, a, x or +.</summary>
        private static bool OpensForWriting(CallExpr call)
        {
            var mode = call.Args.FirstOrDefault(a => a.Keyword == "mode")?.Value
                ?? (call.Args.Count > 1 && call.Args[1].Keyword is null && call.Args[1].Star == 0 ? call.Args[1].Value : null);
            if (call.Args.Any(a => a.Star > 0))
            {
                return true;
            }

            return mode switch
            {
                null => false,
                ConstantExpr { Kind: "str" } text => text.Text.IndexOfAny(['w', 'a', 'x', '+']) >= 0,
                _ => true,
            };
        }

        private static string ModeText(CallExpr? call) =>
            call?.Args.Skip(1).FirstOrDefault()?.Value is ConstantExpr c ? c.Text : "computed";

        /// <summary>The qualified name a Name or Attribute chain denotes here, or null (a local value, an unresolved name).</summary>
        private string? Qualify(Expr expr)
        {
            switch (expr)
            {
                case NameExpr n:
                    if (_localImports.TryGetValue(n.Id, out var local))
                    {
                        return local;
                    }

                    if (_locals.Contains(n.Id))
                    {
                        return null;
                    }

                    return QualifyAtModule(n);
                case AttributeExpr a:
                    return Qualify(a.Value) is { } owner ? owner + "." + a.Attr : null;
                default:
                    return null;
            }
        }

        private string? QualifyAtModule(Expr expr)
        {
            var module = node.Module;
            if (expr is NameExpr n)
            {
                if (module.Defined.Contains(n.Id) || module.Aliases.ContainsKey(n.Id) || module.Values.Contains(n.Id))
                {
                    return module.Name + "." + n.Id;
                }

                if (module.Imports.TryGetValue(n.Id, out var imported))
                {
                    return imported;
                }

                if (module.Star.Count > 0 && !Builtins.Contains(n.Id))
                {
                    return module.Name + "." + n.Id;
                }

                return Builtins.Contains(n.Id) ? "builtins." + n.Id : null;
            }

            return expr is AttributeExpr a && QualifyAtModule(a.Value) is { } owner ? owner + "." + a.Attr : null;
        }

        /// <summary>The root name of a chain when it is neither local, defined, imported nor a builtin.</summary>
        private string? RootIsUnresolvedGlobal(Expr expr)
        {
            var root = expr;
            while (root is AttributeExpr a)
            {
                root = a.Value;
            }

            return root is NameExpr n && !_locals.Contains(n.Id) && !_localImports.ContainsKey(n.Id) && QualifyAtModule(n) is null ? n.Id : null;
        }
    }

    // ---- data ----------------------------------------------------------------------------------------------------------

    private sealed class ModuleInfo(string name, bool isPackage, PyModule tree)
    {
        public string Name { get; } = name;

        public PyModule Tree { get; } = tree;

        public Dictionary<string, string> Imports { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Expr> Aliases { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Values { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Defined { get; } = new(StringComparer.Ordinal);

        public List<string> Star { get; } = [];

        /// <summary>The absolute module a (possibly relative) from-import names.</summary>
        public string Absolute(string? module, int level)
        {
            if (level == 0)
            {
                return module ?? string.Empty;
            }

            var parts = Name.Split('.').ToList();
            var up = isPackage ? level - 1 : level;
            parts.RemoveRange(Math.Max(0, parts.Count - up), Math.Min(up, parts.Count));
            var package = string.Join('.', parts);
            return string.IsNullOrEmpty(module) ? package : package.Length == 0 ? module : package + "." + module;
        }
    }

    private sealed class ClassScope(string name, ClassDef definition, ModuleInfo module)
    {
        public string Name { get; } = name;

        public ClassDef Definition { get; } = definition;

        public ModuleInfo Module { get; } = module;

        public HashSet<string> Methods { get; } = new(StringComparer.Ordinal);

        /// <summary>Class attributes bound to a name or attribute chain ("_builtin_open = open").</summary>
        public Dictionary<string, Expr> Aliases { get; } = new(StringComparer.Ordinal);

        /// <summary>Class attributes bound to anything else.</summary>
        public HashSet<string> Values { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Node(string name, ModuleInfo module, ClassScope? owner)
    {
        public string Name { get; } = name;

        public ModuleInfo Module { get; } = module;

        /// <summary>The class whose body defines this function or class (null at module level).</summary>
        public ClassScope? Owner { get; } = owner;

        public List<FunctionDef> Functions { get; } = [];

        public List<ClassDef> Classes { get; } = [];

        public List<(string Callee, string? Note)> Calls { get; } = [];

        public List<(string Capability, string End)> DirectSinks { get; } = [];

        public string? Unknown { get; set; }
    }

    /// <summary>The names a star import of a module binds, and the unread (native) modules it star-imports in turn.</summary>
    private sealed record StarNames(HashSet<string> Names, List<string> Unread);

    private enum TargetKind
    {
        Node,
        Sink,
        Pure,
        Ignore,
        Unknown,
    }

    private sealed record Target(TargetKind Kind, string Name, string? Capability)
    {
        public static readonly Target Pure = new(TargetKind.Pure, string.Empty, null);

        public static readonly Target Ignore = new(TargetKind.Ignore, string.Empty, null);

        public static Target Node(string name) => new(TargetKind.Node, name, null);

        public static Target Sink(string capability, string name) => new(TargetKind.Sink, name, capability);

        public static Target Unknown(string why) => new(TargetKind.Unknown, why, null);
    }
}
