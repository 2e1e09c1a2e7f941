using Microsoft.AspNetCore.Http;

namespace Rampart.Server.Hosting;

/// <summary>Every refusal has one JSON shape: {"error": code, "message": text}. System.Text.Json escapes markup, so echoed input stays inert.</summary>
public static class ApiErrors
{
    public static IResult Result(int status, string code, string message) => Results.Json(new ErrorBody(code, message), statusCode: status);

    public static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await context.Response.WriteAsJsonAsync(new ErrorBody(code, message), context.RequestAborted).ConfigureAwait(false);
    }

    public sealed record ErrorBody(string Error, string Message);
}
