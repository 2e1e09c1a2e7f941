namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// Follows values into functions: when every caller of a function is in sight, each parameter is the union of the
/// values its callers pass (<see cref="Scope.ParameterSources"/>), so a helper that only ever runs the program's own
/// constants (<c>run("git describe")</c>, a notebook's <c>display('df1', 'df2')</c>) is not judged as if anyone could
/// call it. A function escapes, and keeps its parameters unknown input, when a caller may be out of sight:
/// <list type="bullet">
/// <item>it can be imported: a public top-level name of a .py module (a notebook is one namespace nobody imports);</item>
/// <item>its name is read as a value (passed as a callback, stored, subclassed) or it is decorated;</item>
/// <item>a call cannot be matched to its parameters (*args or **kwargs at the call, an unknown keyword);</item>
/// <item>a method whose name is called on some receiver other than self, or read as a value; a dunder method
/// (Python calls those itself, except __init__ through the class);</item>
/// <item>it has more than <see cref="PyFacts.MaxCallSites"/> call sites (a bound on the work).</item>
/// </list>
/// Values are resolved lazily, once per parameter, at the depth of the use (<see cref="PyFacts"/>), so a chain or a
/// cycle of calls in hostile source stays bounded.
/// </summary>
internal static class PyCallers
{
    /// <param name="modules">The facts of one .py file, or of every code cell of one notebook (in order).</param>
    /// <param name="oneNamespace">
    /// True for a notebook's cells: they share one namespace that nothing imports, so top-level names are callable
    /// from other cells only. False for a .py module, whose public names other modules may import.
    /// </param>
    public static void Link(IReadOnlyList<PyFacts> modules, bool oneNamespace)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var nameUses = new HashSet<string>(modules.SelectMany(m => m.NameUses), StringComparer.Ordinal);
        var attributeUses = new HashSet<string>(modules.SelectMany(m => m.AttributeUses), StringComparer.Ordinal);
        var foreign = modules.SelectMany(m => m.ModuleScope.ForeignAttributes).ToList();
        foreach (var module in modules)
        {
            module.ModuleScope.ForeignAttributes.UnionWith(foreign);
        }

        // Every definition, by the scope it is bound in and its name; a name bound more than once is not followed.
        var callees = new Dictionary<(Scope, string), Callee>();
        foreach (var module in modules)
        {
            foreach (var (cls, body) in module.Classes)
            {
                var init = module.Functions.FirstOrDefault(f => f.Scope.Parent == body && f.Function.Name == "__init__");
                var escapes = cls.Decorators.Count > 0 || nameUses.Contains(cls.Name) || (!oneNamespace && body.Parent!.Parent is null && !cls.Name.StartsWith('_'));
                callees[(body.Parent!, cls.Name)] = new Callee(cls.Name, init.Function, init.Scope, body.Parent!, Skip: 1) { Escapes = escapes || init.Function is null };
            }

            foreach (var (def, inner) in module.Functions)
            {
                var defining = inner.Parent!;
                var escapes = def.Decorators.Count > 0 || nameUses.Contains(def.Name);
                if (defining.Class is { } cls)
                {
                    // A method: reached through self.name(...) in its class, or through the class for __init__.
                    var classEscapes = callees.TryGetValue((defining.Parent!, cls.Name), out var owner) && owner.Escapes && def.Name != "__init__";
                    escapes |= attributeUses.Contains(def.Name) || (def.Name.StartsWith("__", StringComparison.Ordinal) && def.Name != "__init__")
                        || (classEscapes && !def.Name.StartsWith('_'));
                }
                else if (defining.Parent is null)
                {
                    escapes |= !oneNamespace && !def.Name.StartsWith('_');
                }

                callees[(defining, def.Name)] = new Callee(def.Name, def, inner, defining, Skip: defining.Class is null ? 0 : 1) { Escapes = escapes };
            }
        }

        // Top-level names of a notebook are shared by its cells: a name defined once, in one cell, and bound nowhere else.
        var shared = new Dictionary<string, Callee?>(StringComparer.Ordinal);
        if (oneNamespace)
        {
            foreach (var module in modules)
            {
                foreach (var (name, history) in module.ModuleScope.History)
                {
                    var single = history.Count == 1 && callees.TryGetValue((module.ModuleScope, name), out var c) ? c : null;
                    shared[name] = shared.ContainsKey(name) ? null : single;
                }
            }
        }

        var methods = callees.Values.Where(c => c.Defining.Class is not null).ToLookup(c => c.Name, StringComparer.Ordinal);
        foreach (var module in modules)
        {
            foreach (var site in module.Calls)
            {
                var callee = Resolve(site, callees, shared);
                if (callee is null)
                {
                    // A method name called on a receiver we cannot see through: any method of that name may be the one.
                    if (site.Call.Func is AttributeExpr attribute)
                    {
                        foreach (var c in methods[attribute.Attr])
                        {
                            c.Escapes = true;
                        }
                    }

                    continue;
                }

                if (callee.Sites.Count >= PyFacts.MaxCallSites)
                {
                    callee.Escapes = true;
                }

                callee.Sites.Add(site);
            }
        }

        foreach (var callee in callees.Values)
        {
            if (!callee.Escapes && callee.Function is not null && callee.Sites.Count > 0 && Sources(callee) is { } sources)
            {
                callee.Scope!.ParameterSources = sources;
            }
        }
    }

    private static Callee? Resolve(CallSite site, Dictionary<(Scope, string), Callee> callees, Dictionary<string, Callee?> shared)
    {
        switch (site.Call.Func)
        {
            case NameExpr name:
            {
                var (found, isParameter, value, scope) = site.Scope.Lookup(name.Id);
                if (found)
                {
                    return !isParameter && value is null && scope!.History.GetValueOrDefault(name.Id)?.Count == 1 ? callees.GetValueOrDefault((scope, name.Id)) : null;
                }

                return site.Scope.Alias(name.Id) is null ? shared.GetValueOrDefault(name.Id) : null;
            }

            case AttributeExpr { Value: NameExpr owner } attribute
                when site.Scope.Lookup(owner.Id) is { IsParameter: true, Scope: { } ownerScope } && ownerScope.SelfClass(owner.Id) is { } cls:
                return callees.GetValueOrDefault((cls, attribute.Attr));
            default:
                return null;
        }
    }

    /// <summary>The values every call site passes to each parameter, or null when a call cannot be matched to them.</summary>
    private static Dictionary<string, List<ParameterSource>>? Sources(Callee callee)
    {
        var parameters = callee.Function!.Params.Skip(callee.Skip).ToList();
        var positional = parameters.TakeWhile(p => p.Star == 0).ToList();
        var rest = parameters.FirstOrDefault(p => p.Star == 1);
        var keywords = parameters.FirstOrDefault(p => p.Star == 2);
        var sources = parameters.ToDictionary(p => p.Name, _ => new List<ParameterSource>(), StringComparer.Ordinal);
        foreach (var site in callee.Sites)
        {
            var given = new Dictionary<string, Expr>(StringComparer.Ordinal);
            var index = 0;
            foreach (var arg in site.Call.Args)
            {
                if (arg.Star != 0)
                {
                    return null;
                }

                if (arg.Keyword is null)
                {
                    if (index < positional.Count)
                    {
                        given[positional[index].Name] = arg.Value;
                    }
                    else if (rest is not null)
                    {
                        sources[rest.Name].Add(Source(arg.Value, site));
                    }
                    else
                    {
                        return null;
                    }

                    index++;
                }
                else if (parameters.Any(p => p.Star == 0 && p.Name == arg.Keyword))
                {
                    given[arg.Keyword] = arg.Value;
                }
                else if (keywords is not null)
                {
                    sources[keywords.Name].Add(new ParameterSource(null, site.Scope, null, callee.Name, site.Call.At.Line));
                }
                else
                {
                    return null;
                }
            }

            foreach (var p in parameters.Where(p => p.Star == 0))
            {
                if (given.TryGetValue(p.Name, out var value))
                {
                    sources[p.Name].Add(Source(value, site));
                }
                else if (p.Default is not null)
                {
                    sources[p.Name].Add(new ParameterSource(p.Default, callee.Defining, null, callee.Name, site.Call.At.Line));
                }
            }
        }

        return sources;

        ParameterSource Source(Expr value, CallSite site) => new(value, site.Scope, site.Guarded, callee.Name, site.Call.At.Line);
    }

    private sealed record Callee(string Name, FunctionDef? Function, Scope? Scope, Scope Defining, int Skip)
    {
        public bool Escapes { get; set; }

        public List<CallSite> Sites { get; } = [];
    }
}
