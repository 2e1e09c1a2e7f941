using Rampart.TestKit;

namespace Rampart.Scanning.Tests.Analyzers.Pickle;

/// <summary>A fact that needs Debian's Python with the ML libraries the profile generators introspect; skipped with the reason otherwise.</summary>
public sealed class MlPythonFactAttribute() : DebianPythonFactAttribute("torch", "sklearn", "pandas", "numpy", "scipy", "pytz");
