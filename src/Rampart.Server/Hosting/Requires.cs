using Rampart.Server.Identity;

namespace Rampart.Server.Hosting;

/// <summary>Who may call an endpoint.</summary>
public enum AccessLevel
{
    /// <summary>Anyone (health, login).</summary>
    Anonymous,

    /// <summary>Any signed-in user or token.</summary>
    User,

    /// <summary>A signed-in user with a browser session (not a token): account settings, token management.</summary>
    Session,

    /// <summary>A server administrator with a session that passed TOTP.</summary>
    ServerAdmin,

    /// <summary>A member of the route's {project} whose role grants <see cref="Requires.Operation"/>.</summary>
    Project,
}

/// <summary>Endpoint metadata read by the access middleware; an endpoint without it is refused (deny by default).</summary>
public sealed record Requires(AccessLevel Level, Operation Operation = Operation.Read)
{
    public static Requires Anonymous { get; } = new(AccessLevel.Anonymous);

    public static Requires User { get; } = new(AccessLevel.User);

    public static Requires Session { get; } = new(AccessLevel.Session);

    public static Requires ServerAdmin { get; } = new(AccessLevel.ServerAdmin);

    public static Requires In(Operation operation) => new(AccessLevel.Project, operation);
}
