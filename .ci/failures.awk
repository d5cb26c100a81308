# Prints each failed test of a .trx with the first lines of its message, so that the
# tail of CI's output names what failed. A record is one <UnitTestResult> element and
# what follows it up to the next (a passed test without output is a self-closing tag).
function unescape(s) {
	gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
	gsub(/&apos;/, "'", s); gsub(/&#xD;/, "", s); gsub(/&#xA;/, "\n", s); gsub(/&amp;/, "\\&", s)
	return s
}
BEGIN { RS = "<UnitTestResult " }
NR > 1 {
	tag = $0
	sub(/>.*/, "", tag)
	if (tag !~ /outcome="(Failed|Error|Timeout|Aborted)"/)
		next
	name = tag
	sub(/.*testName="/, "", name)
	sub(/".*/, "", name)
	print "FAILED " unescape(name)
	msg = $0
	if (sub(/.*<Message>/, "", msg)) {
		sub(/<\/Message>.*/, "", msg)
		n = split(unescape(msg), lines, "\n")
		for (i = 1; i <= n && i <= 12; i++)
			print "  " lines[i]
		if (n > 12)
			print "  ..."
	}
}
