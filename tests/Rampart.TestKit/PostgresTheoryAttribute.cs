using Xunit;

namespace Rampart.TestKit;

/// <summary>A theory that needs the PostgreSQL server of RAMPART_TEST_POSTGRES.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresFactAttribute.ConnectionString is null)
        {
            Skip = $"{PostgresFactAttribute.Variable} is not set: no PostgreSQL server to test against (.ci/run starts one on loopback and sets it)";
        }
    }
}
