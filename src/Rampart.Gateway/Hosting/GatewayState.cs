using System.Collections.Immutable;
using Rampart.Gateway.Auth;
using Rampart.Gateway.Config;
using Yarp.ReverseProxy;

namespace Rampart.Gateway.Hosting;

/// <summary>Everything a request needs from the configuration, swapped as a whole on reload.</summary>
internal sealed record GatewaySnapshot(GatewayConfig Config, ImmutableDictionary<string, RouteGuard> Guards, Authenticator Authenticator, IProxyStateLookup ProxyState)
{
    public bool KeepBodies => Config.Audit?.Bodies == "redacted";
}

/// <summary>The current snapshot; a reload replaces it atomically (requests in flight keep the one they started with).</summary>
internal sealed class GatewayState(GatewaySnapshot initial)
{
    private GatewaySnapshot _current = initial;

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    public void Replace(GatewaySnapshot next) => Volatile.Write(ref _current, next);
}
