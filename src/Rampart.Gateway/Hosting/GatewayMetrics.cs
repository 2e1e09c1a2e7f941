using System.Collections.Immutable;
using Prometheus;

namespace Rampart.Gateway.Hosting;

/// <summary>Prometheus metrics (prometheus-net): requests by route/status/decision, signals by rule, latency histogram, upstream errors.</summary>
internal sealed class GatewayMetrics
{
    private readonly Counter _requests = Metrics.CreateCounter("rampart_gateway_requests_total", "Requests by route, status and guard decision.", "route", "status", "decision");
    private readonly Counter _signals = Metrics.CreateCounter("rampart_gateway_rule_signals_total", "Guard signals by rule id.", "route", "rule");
    private readonly Counter _upstreamErrors = Metrics.CreateCounter("rampart_gateway_upstream_errors_total", "Upstream failures (502/503/504) by route.", "route");
    private readonly Histogram _latency = Metrics.CreateHistogram("rampart_gateway_request_duration_seconds", "Time in the gateway, upstream included.", new HistogramConfiguration
    {
        LabelNames = ["route"],
        Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
    });

    private readonly Counter _quotaStoreFailures = Metrics.CreateCounter("rampart_gateway_quota_store_failures_total", "Calls to the shared (Redis) quota store that failed.");

    public void QuotaStoreFailure() => _quotaStoreFailures.Inc();

    public void Observe(string route, int status, string decision, ImmutableArray<string> rules, double milliseconds)
    {
        _requests.WithLabels(route, status.ToString(System.Globalization.CultureInfo.InvariantCulture), decision).Inc();
        foreach (var rule in rules)
        {
            _signals.WithLabels(route, rule).Inc();
        }

        if (status is 502 or 503 or 504)
        {
            _upstreamErrors.WithLabels(route).Inc();
        }

        _latency.WithLabels(route).Observe(milliseconds / 1000);
    }
}
