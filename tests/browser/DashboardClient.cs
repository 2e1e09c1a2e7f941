using System.Net.Http.Headers;
using Rampart.Server.Tests;

namespace Rampart.Browser.Tests;

/// <summary>
/// Dashboard requests over plain HTTP with a signed-in API client's session cookie plus the antiforgery cookie the
/// pages set (the API client keeps one cookie only), without following redirects.
/// </summary>
internal sealed class DashboardClient(TestServer server, ApiClient? session) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = server.Host.Address };
    private string? _antiforgeryCookie;

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, null);

    /// <summary>Posts form fields, with <paramref name="antiforgery"/> as the __csrf field when given.</summary>
    public Task<ApiResponse> PostFormAsync(string path, string? antiforgery, params (string Name, string Value)[] fields)
    {
        var values = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
        if (antiforgery is not null)
        {
            values.Add(new("__csrf", antiforgery));
        }

        return SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(values), null);
    }

    /// <summary>Sends with the session's bearer token instead of its cookie.</summary>
    public Task<ApiResponse> GetWithTokenAsync(string path, string token) => SendAsync(HttpMethod.Get, path, null, token);

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content, string? token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        var cookies = new[] { token is null ? session?.Cookie : null, _antiforgeryCookie }.Where(c => c is not null).ToList();
        if (cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", cookies));
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var pair in set.Select(c => c.Split(';')[0]).Where(p => p.StartsWith("rampart-af=", StringComparison.Ordinal)))
            {
                _antiforgeryCookie = pair;
            }
        }

        return new ApiResponse(response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _http.Dispose();
}
