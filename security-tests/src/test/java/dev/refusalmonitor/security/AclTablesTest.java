package dev.refusalmonitor.security;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.PatternType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ACL tables people read (README "Security", deploy/kubernetes/README.md) say exactly what the KafkaUser resources
 * grant, and so what the secured broker of this module enforces.
 */
class AclTablesTest {
    private static final Pattern RESOURCE = Pattern.compile("(topic prefix|topics?|group|transactionalId prefix|transactionalId)\\s+(.*)");
    private static final Pattern NAME = Pattern.compile("`([^`]+)`");

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "deploy/kubernetes/README.md"})
    void theTableSaysWhatUsersYamlGrants(String readme) throws Exception {
        Set<String> written = new TreeSet<>();
        WrittenDownKafka.acls().values().forEach(bindings -> bindings.forEach(b -> written.add(entry(b))));
        assertEquals(written, table(WrittenDownKafka.repositoryRoot().resolve(readme)), readme + " vs users.yaml");
    }

    static String entry(AclBinding b) {
        return String.join(" ", b.entry().principal().substring("User:".length()),
                b.pattern().resourceType().name().toLowerCase(Locale.ROOT), b.pattern().name(),
                b.pattern().patternType() == PatternType.PREFIXED ? "prefix" : "literal",
                b.entry().operation().name().replace("_", "").toLowerCase(Locale.ROOT),
                b.entry().permissionType().name().toLowerCase(Locale.ROOT));
    }

    /** The rows of the table under the heading "ACLs per principal", as {@link #entry} strings. */
    static Set<String> table(Path readme) throws Exception {
        List<String> lines = Files.readAllLines(readme);
        int start = -1;
        for (int i = 0; i < lines.size(); i++)
            if (lines.get(i).matches("#+ ACLs per principal\\s*")) start = i;
        assertTrue(start >= 0, readme + " has no 'ACLs per principal' heading");
        List<String> rows = new ArrayList<>();
        for (int i = start + 1; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.startsWith("|")) rows.add(l);
            else if (!rows.isEmpty()) break;
            else if (l.startsWith("#")) break;
        }
        assertTrue(rows.size() > 2, readme + ": no table under 'ACLs per principal'");
        Set<String> out = new TreeSet<>();
        String principal = null;
        for (String row : rows.subList(2, rows.size())) {   // header and separator
            String[] cells = row.substring(1).split("\\|", -1);
            Matcher p = NAME.matcher(cells[0]);
            if (p.find()) principal = p.group(1);
            Matcher r = RESOURCE.matcher(cells[1].strip());
            assertTrue(r.matches(), readme + ": cannot read the resource of row " + row);
            String type = r.group(1).startsWith("topic") ? "topic" : r.group(1).startsWith("group") ? "group" : "transactional_id";
            String pattern = r.group(1).endsWith("prefix") ? "prefix" : "literal";
            Matcher names = NAME.matcher(r.group(2));
            int count = 0;
            while (names.find()) {
                count++;
                for (String op : cells[2].split(","))
                    out.add(String.join(" ", principal, type, names.group(1), pattern, op.strip().toLowerCase(Locale.ROOT), "allow"));
            }
            assertTrue(count > 0, readme + ": no resource name in row " + row);
        }
        return out;
    }
}
