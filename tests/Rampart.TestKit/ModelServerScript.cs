namespace Rampart.TestKit;

/// <summary>
/// The one scikit-learn model server of the tests (Python/model_server.py, copied next to every test assembly that
/// references TestKit). Run it with Debian's /usr/bin/python3; its docstring lists the models, routes and options.
/// </summary>
public static class ModelServerScript
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Python", "model_server.py");
}
