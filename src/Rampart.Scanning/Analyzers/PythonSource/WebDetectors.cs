namespace Rampart.Scanning.Analyzers.PythonSource;

/// <summary>
/// Serving-code detectors: prediction endpoints with no authentication (Flask/FastAPI routes, Gradio launches,
/// Streamlit apps) and logging of dataset rows, dataframes or request payloads in serving code.
/// </summary>
internal static class WebDetectors
{
    public static void Run(PyFacts facts, WebSettings web, List<CodeHit> hits)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(hits);
        var serving = facts.Imports.Any(i => web.ServingModules.Any(m => i.Module == m || i.Module.StartsWith(m + ".", StringComparison.Ordinal)));
        var appWideAuth = AppWideAuth(facts, web);
        foreach (var (function, scope) in facts.Functions)
        {
            var route = function.Decorators.OfType<CallExpr>().FirstOrDefault(d => IsRoute(d, scope.Parent ?? scope, web));
            if (route is null)
            {
                continue;
            }

            serving = true;
            var calls = facts.Calls.Where(c => c.Enclosing.Contains(function)).ToList();
            var inference = calls.FirstOrDefault(c => IsInference(c.Target, web));
            if (inference is null || appWideAuth || HasAuth(function, route, scope.Parent ?? scope, calls, facts, web))
            {
                continue;
            }

            var routePath = route.Args.FirstOrDefault(a => a.Keyword is null or "path" or "rule")?.Value is ConstantExpr { Kind: "str" } p ? p.Text : "?";
            hits.Add(PythonRules.Hit(web.EndpointRule,
                $"the endpoint {routePath} ({function.Name}) serves predictions ({inference.Target}) with no authentication dependency, decorator or check",
                function.At.Line, function.At.Column, function.Name, web.EndpointQuestion.Replace("{target}", routePath, StringComparison.Ordinal),
                [new("route", routePath), new("inference", inference.Target)]));
        }

        foreach (var launch in facts.Calls.Where(c => web.UiLaunchers.Any(g => g.IsMatch(c.Target))))
        {
            serving = true;
            if (launch.Call.Args.Any(a => a.Keyword is "auth" or "auth_dependency") || appWideAuth)
            {
                continue;
            }

            var share = launch.Call.Args.Any(a => a.Keyword == "share" && a.Value is ConstantExpr { Text: "True" });
            hits.Add(PythonRules.Hit(web.EndpointRule,
                $"{launch.Target} starts a model UI with no auth= argument{(share ? " and share=True publishes it on a public link" : "")}",
                launch.Call.At.Line, launch.Call.At.Column, launch.Target, web.EndpointQuestion.Replace("{target}", launch.Target, StringComparison.Ordinal),
                [new("share", share ? "true" : "false")]));
        }

        if (facts.Imports.FirstOrDefault(i => i.Module == "streamlit") is { Module: not null } st
            && facts.Calls.FirstOrDefault(c => IsInference(c.Target, web)) is { } stInference
            && !facts.Calls.Any(c => web.AuthHint.IsMatch(c.Target))
            && !facts.Strings.Any(s => web.AuthHint.IsMatch(s.Value)))
        {
            hits.Add(PythonRules.Hit(web.EndpointRule,
                $"a Streamlit app serves predictions ({stInference.Target}) and nothing in it checks who the user is",
                st.At.Line, st.At.Column, "streamlit", web.EndpointQuestion.Replace("{target}", "the Streamlit app", StringComparison.Ordinal)));
        }

        if (!serving)
        {
            return;
        }

        foreach (var site in facts.Calls.Where(c => web.LogCalls.Any(g => g.IsMatch(c.Target))))
        {
            foreach (var arg in site.Call.Args)
            {
                if (DataMention(arg.Value, site.Scope, web, 0) is { } what)
                {
                    hits.Add(PythonRules.Hit(web.LoggingRule,
                        $"serving code passes {what} to {site.Target}: rows of data end up in logs",
                        site.Call.At.Line, site.Call.At.Column, site.Target, web.LoggingQuestion, [new("data", what)]));
                    break;
                }
            }
        }
    }

    private static bool IsRoute(CallExpr decorator, Scope scope, WebSettings web)
    {
        if (decorator.Func is not AttributeExpr attribute || !web.RouteMethods.Contains(attribute.Attr, StringComparer.Ordinal))
        {
            return false;
        }

        var app = PyFacts.Qualify(attribute.Value, scope);
        return app is not null && (web.AppFactories.Any(g => g.IsMatch(app)) || app is "app" or "router" or "bp" or "blueprint" or "api");
    }

    /// <summary>
    /// A call that runs the model: a method named like inference ("generate"), or whose words include an inference
    /// verb ("generate_stream", "generate_stream_gate", "stream_generate", "batch_predict", "run_inference"), or a
    /// call of a model factory's result.
    /// </summary>
    private static bool IsInference(string target, WebSettings web)
    {
        var last = target[(target.LastIndexOf('.') + 1)..];
        if (web.InferenceMethods.Contains(last, StringComparer.Ordinal) || web.ModelFactories.Any(g => g.IsMatch(target)))
        {
            return true;
        }

        // Only methods of objects (worker.generate_stream_gate), not free functions of the module with such a word.
        return target.Contains('.', StringComparison.Ordinal)
            && last.Split('_', StringSplitOptions.RemoveEmptyEntries).Any(w => web.InferenceMethods.Contains(w, StringComparer.Ordinal) && w.Length >= 5);
    }

    private static bool AppWideAuth(PyFacts facts, WebSettings web)
    {
        // FastAPI(dependencies=[Depends(verify_token)]), APIRouter(dependencies=...), app.add_middleware(AuthMiddleware),
        // or a Flask before_request hook that checks credentials.
        foreach (var site in facts.Calls)
        {
            // FastAPI(dependencies=[Depends(...)]), APIRouter(dependencies=...), app.include_router(router, dependencies=...).
            if ((web.AppFactories.Any(g => g.IsMatch(site.Target + "()")) || site.Target.EndsWith(".include_router", StringComparison.Ordinal))
                && site.Call.Args.Any(a => a.Keyword == "dependencies" && Guards(a.Value, site.Scope, web)))
            {
                return true;
            }

            if (site.Target.EndsWith(".add_middleware", StringComparison.Ordinal) && site.Call.Args.Any(a => web.AuthHint.IsMatch(PyFacts.Render(a.Value, 200))))
            {
                return true;
            }
        }

        foreach (var (function, _) in facts.Functions)
        {
            if (function.Decorators.Any(d => PyFacts.Render(d, 200).Contains("before_request", StringComparison.Ordinal))
                && (facts.Calls.Any(c => c.Enclosing.Contains(function) && web.AuthHint.IsMatch(c.Target))
                    || facts.Strings.Any(s => s.Function == function && web.AuthHint.IsMatch(s.Value))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasAuth(FunctionDef function, CallExpr route, Scope scope, List<CallSite> calls, PyFacts facts, WebSettings web)
    {
        if (function.Decorators.Any(d => d != route && web.AuthHint.IsMatch(PyFacts.Render(d, 200))))
        {
            return true;
        }

        if (route.Args.Any(a => a.Keyword == "dependencies" && Guards(a.Value, scope, web)))
        {
            return true;
        }

        if (function.Params.Any(p => (p.Default is not null && web.AuthHint.IsMatch(PyFacts.Render(p.Default, 200)))
            || (p.Annotation is not null && web.AuthHint.IsMatch(PyFacts.Render(p.Annotation, 200)))))
        {
            return true;
        }

        return calls.Any(c => web.AuthHint.IsMatch(c.Target))
            || facts.Strings.Any(s => s.Function == function && web.AuthHint.IsMatch(s.Value));
    }

    /// <summary>
    /// A FastAPI dependencies= list that guards the routes: route-level dependencies return nothing to the handler, so
    /// Depends(...)/Security(...) there exist to check the caller (authentication, API key, rate limit). A list
    /// bound to a name is followed.
    /// </summary>
    private static bool Guards(Expr dependencies, Scope scope, WebSettings web, int depth = 0)
    {
        if (depth > 4)
        {
            return false;
        }

        switch (dependencies)
        {
            case CollectionExpr { Kind: "list" or "tuple" } list:
                return list.Items.Any(i => i is CallExpr call && PyFacts.Qualify(call.Func, scope) is { } f
                    && (f.EndsWith("Depends", StringComparison.Ordinal) || f.EndsWith("Security", StringComparison.Ordinal) || web.AuthHint.IsMatch(PyFacts.Render(call, 200))));
            case NameExpr name when scope.Lookup(name.Id) is (true, false, { } value, { } valueScope):
                return Guards(value, valueScope, web, depth + 1);
            default:
                return web.AuthHint.IsMatch(PyFacts.Render(dependencies, 200));
        }
    }

    /// <summary>What data an expression passed to a log call carries: a dataframe, dataset rows, a request payload.</summary>
    internal static string? DataMention(Expr e, Scope scope, WebSettings web, int depth)
    {
        if (depth > 8)
        {
            return null;
        }

        switch (e)
        {
            case NameExpr name:
            {
                var value = PyFacts.Eval(name, scope);
                if (value.Kind == ValueKind.CallResult && web.DataFactories.Any(g => g.IsMatch(value.Text!)))
                {
                    return $"'{name.Id}' (from {value.Text})";
                }

                if (value.Kind == ValueKind.External && value.Text == "request data")
                {
                    return $"the request payload '{name.Id}'";
                }

                var (found, isParameter, bound, boundScope) = scope.Lookup(name.Id);
                return found && !isParameter && bound is not null ? DataMention(bound, boundScope!, web, depth + 1) : null;
            }

            case CallExpr call:
            {
                if (call.Func is AttributeExpr a && web.RowMethods.Contains(a.Attr, StringComparer.Ordinal) && DataMention(a.Value, scope, web, depth + 1) is { } inner)
                {
                    return $"{inner}.{a.Attr}()";
                }

                var target = PyFacts.Qualify(call.Func, scope);
                if (target is "len" or "sum" or "min" or "max" or "round" or "type" or "id" or "hash" or "bool" or "isinstance")
                {
                    return null;
                }

                if (target is not null && web.DataFactories.Any(g => g.IsMatch(target + "()")))
                {
                    return $"the result of {target}()";
                }

                if (target is not null && (target.EndsWith(".get_json", StringComparison.Ordinal)))
                {
                    return "the request payload";
                }

                return call.Args.Select(x => DataMention(x.Value, scope, web, depth + 1)).FirstOrDefault(x => x is not null)
                    ?? (call.Func is AttributeExpr f ? DataMention(f.Value, scope, web, depth + 1) : null);
            }

            case AttributeExpr attribute:
                if (PyFacts.Qualify(attribute, scope) is "flask.request.json" or "flask.request.form" or "flask.request.data")
                {
                    return "the request payload";
                }

                return web.RowMethods.Contains(attribute.Attr, StringComparer.Ordinal) ? DataMention(attribute.Value, scope, web, depth + 1) : null;
            case SubscriptExpr sub:
                return DataMention(sub.Value, scope, web, depth + 1);
            case FStringExpr f:
                return f.Parts.Where(p => p.Value is not null).Select(p => DataMention(p.Value!, scope, web, depth + 1)).FirstOrDefault(x => x is not null);
            case BinaryExpr b:
                return DataMention(b.Left, scope, web, depth + 1) ?? DataMention(b.Right, scope, web, depth + 1);
            case CollectionExpr c:
                return c.Items.Where(i => i is not null).Select(i => DataMention(i!, scope, web, depth + 1)).FirstOrDefault(x => x is not null);
            default:
                return null;
        }
    }
}
