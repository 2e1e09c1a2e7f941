using Xunit;

namespace Rampart.TestKit;

/// <summary>
/// A test that needs a real PostgreSQL server, named by RAMPART_TEST_POSTGRES (a postgres:// URL or an Npgsql
/// connection string; .ci/run starts a server on loopback and sets it). Skipped with a printed reason when unset.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>The environment variable with the connection string.</summary>
    public const string Variable = "RAMPART_TEST_POSTGRES";

    public PostgresFactAttribute()
    {
        if (ConnectionString is null)
        {
            Skip = $"{Variable} is not set: no PostgreSQL server to test against (.ci/run starts one on loopback and sets it)";
        }
    }

    /// <summary>The connection string, or null when no server is configured.</summary>
    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;
}
