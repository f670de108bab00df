@etcd-v2v3
Feature: etcd v2store → v3store with storeshift's online migrator
  The migrator reads v2 once and writes v3 in guarded transactions: it never overwrites v3 data,
  a re-run changes nothing, and its rollback deletes exactly what it wrote. Its result is checked
  against two oracles that share no code with it: a hand-written expected tree per fixture, and
  what the real `etcdctl migrate` makes of a copy of the same v2 data.

  @smoke
  Scenario Outline: the online migration of <fixture> verifies
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/<fixture>.yaml" in etcd "source"
    And a stopped copy of etcd "source" as "pre-migration"
    When I migrate etcd "source" online
    Then the online migration of etcd "source" verifies
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/<fixture>.yaml" after the online migration
    And etcd "source" holds what the real etcdctl migrate makes of copy "pre-migration", apart from revisions
    And every member of etcd "pre-migration" matches the expected v3 tree for "etcd-v2/<fixture>.yaml" after the offline migration

    Examples:
      | fixture         |
      | seed-foo        |
      | shapes          |
      | generated-small |

  Scenario Outline: TTL policy <policy>
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    And a stopped copy of etcd "source" as "pre-migration"
    When I migrate etcd "source" online with the "<policy>" TTL policy
    Then the online migration of etcd "source" verifies
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the online migration with the "<policy>" TTL policy
    And etcd "source" holds what the real etcdctl migrate makes of copy "pre-migration" under the "<policy>" TTL policy, apart from revisions

    Examples:
      | policy    |
      | permanent |
      | drop      |
      | lease     |

  Scenario: existing v3 data with another value is a collision: refused, nothing overwritten
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/seed-foo.yaml" in etcd "source"
    When I put "/foo" = "already-in-v3" into etcd "source"
    And I try to migrate etcd "source" online
    Then it was refused with "/foo"
    And etcd "source" has "/foo" = "already-in-v3"

  Scenario: a v3 client writing between the migrator's scan and its writes is never overwritten
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online, one key per transaction, while a v3 client writes after the first transaction:
      | key        | value          |
      | /numbers/0 | from-v3-client |
      | /noslash   | ns             |
    Then the v3 client's writes to etcd "source" are intact
    And the online migration of etcd "source" verifies

  @rollback
  Scenario: rollback never deletes keys the run found already in v3
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I put "/plain" = "value1" into etcd "source"
    And I snapshot etcd "source" as "before"
    And I migrate etcd "source" online
    And I roll back the online migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "before", revisions and indexes included

  @rollback
  Scenario: rollback after a re-run deletes only what the re-run wrote: nothing
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online
    And I snapshot etcd "source" as "after the first run"
    And I migrate etcd "source" online
    And I roll back the online migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "after the first run", revisions and indexes included
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the online migration

  @rollback @round-trip
  Scenario: online migration, then rollback: both keyspaces are byte for byte what they were
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I put "/unrelated" = "kept" into etcd "source"
    And I snapshot etcd "source" as "before"
    And I snapshot etcd v2 "source" as "v2-before"
    And I migrate etcd "source" online
    And I roll back the online migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "before", revisions and indexes included
    And etcd v2 "source" is unchanged since snapshot "v2-before", revisions and indexes included
