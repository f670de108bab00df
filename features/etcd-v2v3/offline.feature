@etcd-v2v3
Feature: etcd v2store → v3store with the real `etcdctl migrate`, one member at a time
  The guide: write a key in v2, stop each member in turn, run `etcdctl migrate` (etcd <= 3.4),
  restart it, and read the key through v3. Every member is checked against a hand-written
  expected tree (fixtures/etcd-v2/expected/), not against storeshift's own mapping.

  @smoke
  Scenario: the guide's exact steps on one member
    Given an etcd 3.4 store "source"
    When I set "/foo" to "bar" in the v2 API of etcd "source"
    And I migrate etcd "source" offline, one member at a time
    Then etcd "source" has "/foo" = "bar"
    And the offline migration of etcd "source" verifies
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/seed-foo.yaml" after the offline migration

  @smoke
  Scenario: a 3-member cluster rolled member by member: every member holds the expected tree, hashkv equal at one revision
    Given an etcd 3.4 cluster "source" of 3 members
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" offline, one member at a time
    Then every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the offline migration
    And every member of etcd "source" has the same hashkv at one revision
    And the offline migration of etcd "source" verifies

  @rollback
  Scenario: an offline migration rolled back leaves the v3 store as it was
    Given an etcd 3.4 store "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I snapshot etcd "source" as "before"
    And I migrate etcd "source" offline, one member at a time
    And every member of etcd "source" matches the expected v3 tree for "etcd-v2/shapes.yaml" after the offline migration
    And I roll back the offline migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "before", revisions and indexes included
