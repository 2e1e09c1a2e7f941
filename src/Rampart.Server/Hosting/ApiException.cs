namespace Rampart.Server.Hosting;

/// <summary>A refusal with its HTTP status, a stable error code and a message; the host writes it as JSON.</summary>
public sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static ApiException BadRequest(string message) => new(400, "bad_request", message);

    public static ApiException NotFound(string message) => new(404, "not_found", message);

    public static ApiException Conflict(string message) => new(409, "conflict", message);

    public static ApiException Forbidden(string message) => new(403, "forbidden", message);
}
