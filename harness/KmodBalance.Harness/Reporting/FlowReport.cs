namespace KmodBalance.Harness.Reporting;

/// <summary>One netperf flow's throughput, as lab run's and compare's reports list it.</summary>
public sealed record FlowReport(int Flow, double Mbps);
