@etcd-v2v3
Feature: etcd v2store → v3store with storeshift's online migrator
  The migrator reads v2 once and writes v3 in guarded transactions: it never overwrites v3 data,
  a re-run changes nothing, and its rollback deletes exactly what it wrote.

  @smoke
  Scenario Outline: the online migration of <fixture> verifies
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/<fixture>.yaml" in etcd "source"
    When I migrate etcd "source" online
    Then the online migration of etcd "source" verifies

    Examples:
      | fixture         |
      | seed-foo        |
      | shapes          |
      | generated-small |

  Scenario Outline: TTL policy <policy>
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online with the "<policy>" TTL policy
    Then the online migration of etcd "source" verifies

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

  @rollback @round-trip
  Scenario: online migration, then rollback: both keyspaces are byte for byte what they were
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I put "/unrelated" = "kept" into etcd "source"
    And I snapshot etcd "source" as "before"
    And I snapshot etcd v2 "source" as "v2-before"
    And I migrate etcd "source" online
    And I roll back the online migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "before"
    And etcd v2 "source" is unchanged since snapshot "v2-before"
